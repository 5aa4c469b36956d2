/** The pure deciders the step handlers use, from functions/core/decisions (one import site for handlers). */
export { assessCatchUp } from '../../core/decisions/assess-catch-up.ts';
export { decideFailover } from '../../core/decisions/decide-failover.ts';
export { estimateLag, estimatePrimaryTwinLag } from '../../core/decisions/estimate-lag.ts';
export { planFence } from '../../core/decisions/plan-fence.ts';
export { planPromotion } from '../../core/decisions/plan-promotion.ts';
export { planRestore } from '../../core/decisions/plan-restore.ts';
