"""Policy enforcement: one oslo.policy ``Enforcer`` per configuration.

Every check has a target with a project: a rule such as
``project_id:%(project_id)s`` must never pass because the target left the
project out (upstream's 2020 bug). Without a target, the caller's own
project is the target.
"""

import os

from nova import lazy_import

# Used by oslo.policy only to mask passwords in debug logs (nova.lazy_import).
lazy_import.defer("oslo_utils.strutils")

from oslo_policy import policy as oslo_policy  # noqa: E402

from nova import exception  # noqa: E402

_ATTR = "_nova_enforcer"


def get_enforcer(conf=None):
    """The enforcer for ``conf`` (for ``oslopolicy-*`` tools: a fresh one)."""
    if conf is None:
        from oslo_config import cfg

        from nova import conf as nova_conf

        conf = cfg.ConfigOpts()
        nova_conf.register_opts(conf)
        conf([], project="nova")
    enforcer = conf.__dict__.get(_ATTR)
    if enforcer is None:
        from nova import policies

        enforcer = oslo_policy.Enforcer(conf)
        enforcer.register_defaults(policies.list_rules())
        enforcer.load_rules()
        if enforcer.policy_path is None and not any(
                _exists(enforcer, d) for d in conf.oslo_policy.policy_dirs):
            # No policy.yaml (nor policy.d): the defaults in code are the
            # rules. Without this, oslo.policy searches the config
            # directories for the file again on every single check, which
            # costs more than the rest of a typical request. An existing
            # file is still re-read whenever it changes.
            enforcer.use_conf = False
        enforcer.__dict__[_DIRS] = any(
            _exists(enforcer, d) for d in conf.oslo_policy.policy_dirs)
        conf.__dict__[_ATTR] = enforcer
    return enforcer


_DIRS = "_nova_has_policy_dirs"
_STATE = "_nova_policy_state"


def _file_state(enforcer):
    """What identifies the policy file's content: (path, mtime, size, inode)
    or None when decisions cannot be remembered (a policy.d directory,
    whose files come and go, or a file that cannot be read)."""
    path = enforcer.policy_path
    if enforcer.__dict__.get(_DIRS) or path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (path, st.st_mtime_ns, st.st_size, st.st_ino)


_CACHE = "_nova_decisions"
_CREDS = "_nova_policy_creds"
_CACHE_SIZE = 20000


def freeze(values):
    """The hashable form of a target or credentials (``check(frozen=)``)."""
    return tuple(sorted(
        (k, tuple(v) if isinstance(v, list) else v)
        for k, v in values.items()))


def _exists(enforcer, path):
    from oslo_config import cfg

    try:
        enforcer._get_policy_path(path)  # noqa: SLF001 - oslo's own lookup
    except cfg.ConfigFilesNotFoundError:
        return False
    return True


def check(enforcer, context, rule, target=None, do_raise=True, frozen=None):
    """Whether ``context`` passes ``rule`` on ``target``; ``frozen``: the
    target's ``freeze()`` when the caller has it already."""
    # The caller's credentials and own target, and their hashable forms,
    # once per request context (a request asks several questions).
    found = context.__dict__.get(_CREDS)
    if found is None:
        creds = context.to_policy_values()
        own = {"project_id": context.project_id, "user_id": context.user_id}
        found = context.__dict__[_CREDS] = (creds, freeze(creds), own,
                                            freeze(own))
    creds, frozen_creds, own, frozen_own = found
    if target is None:
        target, frozen = dict(own), frozen_own
    elif "project_id" not in target:
        raise ValueError(f"policy target for {rule} lacks project_id")
    elif frozen is None:
        frozen = freeze(target)
    cache = enforcer.__dict__.setdefault(_CACHE, {})
    state = None
    if enforcer.use_conf:
        # A policy file may change under us. Decisions are remembered for
        # the file as it is now: a change to it (time, size or inode)
        # makes oslo.policy read it again and forgets every decision.
        state = _file_state(enforcer)
        if state is None:
            return _finish(enforcer.authorize(rule, target, creds), rule,
                           do_raise)
        if enforcer.__dict__.get(_STATE) != state:
            # Forced: oslo.policy alone looks at the time only, and misses
            # a file replaced by rename with the same time.
            enforcer.load_rules(force_reload=True)
            cache.clear()
            enforcer.__dict__[_STATE] = state
    # A decision now depends on nothing but the rules (the file's state),
    # the rule, the target and the credentials, so it can be remembered.
    key = (state, rule, frozen, frozen_creds)
    allowed = cache.get(key)
    if allowed is None:
        allowed = bool(enforcer.authorize(rule, target, creds))
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        cache[key] = allowed
    return _finish(allowed, rule, do_raise)


def _finish(allowed, rule, do_raise):
    if not allowed and do_raise:
        raise exception.PolicyNotAuthorized(rule)
    return allowed
