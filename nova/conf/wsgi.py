"""[wsgi]: where the paste pipelines come from."""

from oslo_config import cfg

GROUP = "wsgi"

OPTS = [
    cfg.StrOpt("api_paste_config", default="api-paste.ini",
               help="The PasteDeploy file. A bare name is looked for among "
                    "the files listed in OS_NOVA_CONFIG_FILES (in any "
                    "position), then in OS_NOVA_CONFIG_DIR; when neither has "
                    "it and the name is the default, the copy shipped inside "
                    "the package is used. An absolute path is used as it "
                    "is."),
]


def register_opts(conf):
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return [(GROUP, OPTS)]
