"""The domain (service layer): servers and their actions, flavors,
keypairs, images, hosts, quotas, server groups, the built-in driver and
flat network. It knows nothing of HTTP: it takes plain values and a
session, and raises ``nova.exception`` errors."""
