// koa2 is Koa 2 installed under an npm alias, without types of its own; the
// tests drive its runtime with the current major's types.
declare module 'koa2' {
  import Koa = require('koa')
  export = Koa
}
