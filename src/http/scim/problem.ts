/** SCIM's refusals, for the route's modules (the class lives with the services that raise it too). */
export { noSuchResource, ScimProblem, type ScimType } from '../../domain/scim-problem.ts';
