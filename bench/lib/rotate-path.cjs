// autocannon setupRequest hook (CommonJS: autocannon require()s it inside its
// worker thread). Every request, across all connections, takes the next path
// of one shared rotation. Per-connection rotations would march in lockstep and
// hit the server's response cache on each other's heels; one shared counter
// guarantees a path is not requested again until the whole list has gone by.
'use strict';

let next = 0;

module.exports = function rotatePath(request) {
  const paths = request.rotation;
  return { ...request, path: paths[next++ % paths.length] };
};
