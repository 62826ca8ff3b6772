import type { AuthChecker } from 'type-graphql';
import { forbidden, unauthenticated } from '../common/errors.js';
import type { Context } from './context.js';

/**
 * `@Authorized()` = any signed-in user; `@Authorized('ADMIN', …)` = those roles;
 * `@Authorized('FACILITY')` = an imaging centre's API key; `@Authorized('SHARE')` = a share
 * grant. Anonymous callers get UNAUTHENTICATED, others FORBIDDEN, so a client can tell "log in"
 * from "not for you".
 */
export const authChecker: AuthChecker<Context> = ({ context }, roles) => {
  const v = context.viewer;
  if (v.kind === 'anonymous') throw unauthenticated();
  if (roles.length === 0) {
    if (v.kind === 'user') return true;
    throw forbidden();
  }
  if (v.kind === 'user' && roles.includes(v.caller.role)) return true;
  if (v.kind === 'facility' && roles.includes('FACILITY')) return true;
  if (v.kind === 'share' && roles.includes('SHARE')) return true;
  throw forbidden();
};
