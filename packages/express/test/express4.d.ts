// express4 is Express 4 installed under an npm alias, without types of its
// own; the tests drive its runtime with the current major's types.
declare module 'express4' {
  import express = require('express')
  export = express
}
