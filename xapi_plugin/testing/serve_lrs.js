// Starts Learning Locker's statement service (npm package xapi-statements) on 127.0.0.1 only.
// The service calls app.listen(port), which binds every interface; pin the host before loading it.
const http = require('http');
const path = require('path');

const originalListen = http.Server.prototype.listen;
http.Server.prototype.listen = function (port, ...rest) {
  const callback = rest.find((arg) => typeof arg === 'function');
  return originalListen.call(this, Number(port), '127.0.0.1', callback);
};
require(path.join(process.env.XAPI_LRS_PACKAGE_DIR, 'node_modules', 'xapi-statements', 'dist', 'server.js'));
