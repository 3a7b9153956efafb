// The previous majors are installed under npm aliases (express4, koa2) that
// ship no types of their own. Their runtime is what the tests exercise; their
// types are taken from the current major's, which the adapters are written against.
declare module 'express4' {
  import express = require('express')
  export = express
}

declare module 'koa2' {
  import Koa = require('koa')
  export = Koa
}
