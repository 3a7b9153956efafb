import { listening } from '../shared/listening.js'
import { describeOrdersApi } from '../test/orders-api-contract.js'
import { createApp, start } from './app.js'

describeOrdersApi('Koa', {
  serve: (options) => listening(createApp(options).listen(0, '127.0.0.1')),
  start,
})
