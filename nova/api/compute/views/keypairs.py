"""Key pair views at each microversion ('type' from 2.2), in upstream's
key order: list items show name, public_key, fingerprint; create adds
user_id (and private_key when generated); show adds the row's fields."""

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"


def _time(value):
    return value.strftime(_TIME_FORMAT) if value is not None else None


def _with_type(req, view, keypair):
    if req.is_version("2.2"):
        view["type"] = keypair.type
    return view


def item(req, keypair):
    view = {"name": keypair.name, "public_key": keypair.public_key,
            "fingerprint": keypair.fingerprint}
    return {"keypair": _with_type(req, view, keypair)}


def create(req, keypair, private_key=None):
    view = {}
    if private_key is not None:
        view["private_key"] = private_key
    if req.is_version("2.2"):
        view["type"] = keypair.type
    view.update(name=keypair.name, public_key=keypair.public_key,
                fingerprint=keypair.fingerprint, user_id=keypair.user_id)
    return {"keypair": view}


def show(req, keypair):
    view = {
        "name": keypair.name,
        "public_key": keypair.public_key,
        "fingerprint": keypair.fingerprint,
        "user_id": keypair.user_id,
        "created_at": _time(keypair.created_at),
        # Deleted key pairs are gone from the store: never shown.
        "deleted": False,
        "deleted_at": None,
        "id": keypair.id,
        "updated_at": None,
    }
    return {"keypair": _with_type(req, view, keypair)}
