/** `npm run test:e2e`: the dashboard in headless Chromium (Debian's package, driven by playwright-core). */
const base = require('./jest.config.js');
module.exports = { ...base, roots: ['<rootDir>/test'], testMatch: ['**/e2e/**/*.e2e.ts'], maxWorkers: 1 };
