// The fault suite runs the compiled apps and CLI; each spec brings its own PostgreSQL and Redis.
const { execSync } = require('node:child_process');

module.exports = async function globalSetup() {
  execSync('node tools/ensure-built.mjs', { stdio: 'inherit' });
};
