"""The five gates, in the order a module passes them: the one list of gate names.

Its own tiny module because the gates plugin needs the names at load time
(option help and validation) and must not import the rest of the package then.
"""

GATES = ("design", "implementation", "qa", "release", "publish")
