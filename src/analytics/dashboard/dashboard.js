// The analytics page: signs in through the GraphQL API and draws what platformStats,
// statsFunnel, statsBreakdown and statsSeries return. No framework, no external assets.
(function () {
  'use strict';
  let token = null;
  const $ = (id) => document.getElementById(id);

  async function gql(query, variables) {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: Object.assign({ 'content-type': 'application/json' }, token ? { authorization: 'Bearer ' + token } : {}),
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (body.errors) throw new Error(body.errors[0].message);
    return body.data;
  }

  // Amounts arrive as exact decimal strings; they are grouped as strings, never parsed to floats.
  function yuan(amount) {
    const [whole, fraction] = amount.split('.');
    return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + (fraction || '00');
  }
  function yi(amount) {
    // 亿元 with two decimals, by string arithmetic on the yuan amount.
    const whole = amount.split('.')[0].padStart(9, '0');
    return whole.slice(0, -8).replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + whole.slice(-8, -6) + ' 亿';
  }
  function wan(amount) {
    const whole = amount.split('.')[0].padStart(5, '0');
    return whole.slice(0, -4).replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + whole.slice(-4, -2) + ' 万';
  }
  // A tile's headline fits its number: 亿元 from one 亿, 万元 below; the exact yuan go underneath.
  function headline(amount) {
    return amount.split('.')[0].length > 8 ? yi(amount) + '元' : wan(amount) + '元';
  }
  // The API's rates are fractions with 4 decimals ("0.1982"); shown as percentages ("19.82%").
  function percent(fraction) {
    if (!fraction) return '—';
    const [whole, decimals] = fraction.split('.');
    const digits = (whole + (decimals || '').padEnd(4, '0').slice(0, 4)).replace(/^0+(?=\d{3})/, '');
    return digits.slice(0, -2) + '.' + digits.slice(-2) + '%';
  }
  const grouped = (count) => count.toLocaleString('en');
  // For bar lengths only: a chart needs proportions, not exact money.
  const magnitude = (amount) => Number(amount.split('.')[0]);

  function tile(label, value, sub) {
    const div = document.createElement('div');
    div.className = 'tile';
    div.innerHTML = '<div class="label"></div><div class="value"></div><div class="sub"></div>';
    div.children[0].textContent = label;
    div.children[1].textContent = value;
    div.children[2].textContent = sub || '';
    return div;
  }

  function bars(svg, items) {
    const width = svg.clientWidth || 500;
    const rowHeight = Math.max(16, Math.min(28, 250 / Math.max(items.length, 1)));
    const max = Math.max(1, ...items.map((item) => item.size));
    svg.setAttribute('height', String(rowHeight * items.length + 8));
    svg.innerHTML = '';
    items.forEach((item, index) => {
      const y = index * rowHeight + 4;
      const length = Math.max(2, ((width - 260) * item.size) / max);
      const ns = 'http://www.w3.org/2000/svg';
      const label = document.createElementNS(ns, 'text');
      label.setAttribute('x', '0');
      label.setAttribute('y', String(y + rowHeight * 0.65));
      label.setAttribute('font-size', '12');
      label.textContent = item.label;
      const rect = document.createElementNS(ns, 'rect');
      rect.setAttribute('x', '110');
      rect.setAttribute('y', String(y));
      rect.setAttribute('height', String(rowHeight - 6));
      rect.setAttribute('width', String(length));
      rect.setAttribute('fill', item.color || '#1f77b4');
      const value = document.createElementNS(ns, 'text');
      value.setAttribute('x', String(116 + length));
      value.setAttribute('y', String(y + rowHeight * 0.65));
      value.setAttribute('font-size', '12');
      value.textContent = item.text;
      svg.append(label, rect, value);
    });
  }

  async function load() {
    $('stats-error').textContent = '';
    const filter = { regionCode: $('region').value || null, from: $('from').value || null, to: $('to').value || null };
    const flows =
      'requested { count amount } accepted { count amount } granted { count amount } disbursed { count amount }';
    try {
      const data = await gql(
        `query($filter: StatsFilter) {
          platformStats(filter: $filter) {
            enterprisesRegistered institutions productsPublished ${flows} weightedAverageGrantedRate firstTimeBorrowers
          }
          statsFunnel(filter: $filter) {
            posted applied accepted granted disbursed appliedRate acceptedRate grantedRate
          }
          statsBreakdown(dimension: REGION, filter: $filter) { key label ${flows} }
          statsSeries(granularity: MONTH, filter: $filter) { period ${flows} }
        }`,
        { filter },
      );
      const s = data.platformStats;
      const count = (flow, noun) => flow.count.toLocaleString('en') + ' ' + noun + ' · ' + yuan(flow.amount) + ' 元';
      const tiles = $('tiles');
      tiles.innerHTML = '';
      tiles.append(
        tile('注册企业 Enterprises', s.enterprisesRegistered.toLocaleString('en')),
        tile('入驻机构 Institutions', s.institutions.toLocaleString('en')),
        tile('发布产品 Products', s.productsPublished.toLocaleString('en')),
        tile('融资需求 Requested', headline(s.requested.amount), count(s.requested, 'needs')),
        tile('受理 Accepted', headline(s.accepted.amount), count(s.accepted, 'needs')),
        tile('授信 Granted', headline(s.granted.amount), count(s.granted, 'grants')),
        tile('放款 Disbursed', headline(s.disbursed.amount), count(s.disbursed, 'tranches')),
        tile(
          '加权平均利率 Avg rate',
          s.weightedAverageGrantedRate ? s.weightedAverageGrantedRate + '%' : '—',
          '首贷户 first-time borrowers: ' + s.firstTimeBorrowers,
        ),
      );
      const f = data.statsFunnel;
      bars(
        $('funnel'),
        [
          { label: 'Posted 发布', size: f.posted, text: grouped(f.posted) },
          {
            label: 'Applied 申请',
            size: f.applied,
            text: grouped(f.applied) + (f.appliedRate ? ' (' + percent(f.appliedRate) + ')' : ''),
          },
          {
            label: 'Accepted 受理',
            size: f.accepted,
            text: grouped(f.accepted) + (f.acceptedRate ? ' (' + percent(f.acceptedRate) + ')' : ''),
          },
          {
            label: 'Granted 授信',
            size: f.granted,
            text: grouped(f.granted) + (f.grantedRate ? ' (' + percent(f.grantedRate) + ')' : ''),
          },
          { label: 'Disbursed 放款', size: f.disbursed, text: grouped(f.disbursed) },
        ].map((item, i) => Object.assign(item, { color: ['#0b4f8a', '#1f77b4', '#2ca02c', '#ff7f0e', '#d62728'][i] })),
      );
      bars(
        $('regions'),
        data.statsBreakdown.map((row) => ({
          label: row.label || row.key,
          size: magnitude(row.requested.amount),
          text: yi(row.requested.amount) + ' / 授信 ' + row.granted.count,
        })),
      );
      bars(
        $('months'),
        data.statsSeries.map((point) => ({
          label: point.period.slice(0, 7),
          size: magnitude(point.requested.amount),
          text: yi(point.requested.amount) + ' · 授信 ' + yi(point.granted.amount),
        })),
      );
      document.body.dataset.loaded = 'true';
    } catch (error) {
      $('stats-error').textContent = error.message;
    }
  }

  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('login-error').textContent = '';
    try {
      const data = await gql(
        'mutation($input: LoginInput!) { login(input: $input) ' +
          '{ token account { email role } userErrors { message } } }',
        { input: { email: $('email').value, password: $('password').value } },
      );
      if (data.login.userErrors.length) throw new Error(data.login.userErrors[0].message);
      token = data.login.token;
      $('who').textContent = data.login.account.email + ' (' + data.login.account.role + ')';
      $('login-panel').hidden = true;
      $('stats-panel').hidden = false;
      await load();
    } catch (error) {
      $('login-error').textContent = error.message;
    }
  });
  $('filter-form').addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
})();
