/** Baseline: graphql-yoga's hello world, default settings, on node:http. */
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

const yoga = createYoga({
  schema: createSchema({ typeDefs: 'type Query { hello: String! }', resolvers: { Query: { hello: () => 'world' } } }),
  logging: false,
  graphiql: false,
});
const port = Number(process.env.PORT ?? 4100);
createServer(yoga).listen(port, '127.0.0.1', () => console.log(`listening on ${port}`));
