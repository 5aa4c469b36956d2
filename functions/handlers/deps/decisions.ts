/** The deciders the step handlers use (one import site, so core's can replace the interim ones in one place). */
export { assessCatchUp, decideFailover, planFence, planPromotion } from './interim-decisions.ts';
