"""Policy enforcement: one oslo.policy ``Enforcer`` per configuration.

Every check has a target with a project: a rule such as
``project_id:%(project_id)s`` must never pass because the target left the
project out (upstream's 2020 bug). Without a target, the caller's own
project is the target.
"""

from oslo_policy import policy as oslo_policy

from nova.api import errors

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
        conf.__dict__[_ATTR] = enforcer
    return enforcer


_CACHE = "_nova_decisions"
_CACHE_SIZE = 20000


def _freeze(values):
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


def check(enforcer, context, rule, target=None, do_raise=True):
    if target is None:
        target = {"project_id": context.project_id,
                  "user_id": context.user_id}
    elif "project_id" not in target:
        raise ValueError(f"policy target for {rule} lacks project_id")
    creds = context.to_policy_values()
    if enforcer.use_conf:
        # A policy file may change under us: ask oslo.policy every time.
        allowed = enforcer.authorize(rule, target, creds)
    else:
        # Rules in code only: a decision depends on nothing but the rule,
        # the target and the credentials, so it can be remembered.
        key = (rule, _freeze(target), _freeze(creds))
        cache = enforcer.__dict__.setdefault(_CACHE, {})
        allowed = cache.get(key)
        if allowed is None:
            allowed = bool(enforcer.authorize(rule, target, creds))
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            cache[key] = allowed
    if not allowed and do_raise:
        raise errors.Forbidden(
            f"Policy doesn't allow {rule} to be performed.")
    return allowed
