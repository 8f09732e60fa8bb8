#!/usr/bin/env python3
"""Checks the Kubernetes manifests of deploy/kubernetes/.

kubectl decodes every manifest, as `kubectl apply` does, without a cluster; then the fields that
Hatch depends on are checked against each other: names, ports, the nodes' DNS name, probes, the
secret's mount and mode, the drain on stop, the single origin. Each failed check says what it
expected and what it found.

Usage: kubernetes_manifests_test.py DIR
Exit status: 0 when every check passes, 1 when one fails, 77 when kubectl is missing (ctest's
SKIP_RETURN_CODE for this test: it never passes without having run).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
NAMESPACE = "hatch"
SECRET_NAME = "hatch-cluster"
MOUNT_PATH = "/etc/hatch"
OWNER_READ_ONLY = 0o400  # 256: JSON carries defaultMode in decimal


def kubectl_objects(kubectl, directory):
    """Every object of the directory's manifests, as kubectl decodes them, or exits on an error.

    `kubectl apply --dry-run=client` and `kubectl create --dry-run=client` ask the API server
    which kinds exist even in a dry run, so without a cluster they fail. `annotate --local` reads
    the same files through the same decoder and contacts nobody; KUBECONFIG names an empty file so
    that the caller's configuration plays no part.
    """
    with tempfile.NamedTemporaryFile(prefix="hatch-kubeconfig-") as empty:
        env = dict(os.environ, KUBECONFIG=empty.name)
        command = [kubectl, "annotate", "--local", "-f", directory, "-o", "json",
                   "hatch-manifest-check=done"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        print(f"FAIL: kubectl rejected the manifests ({' '.join(command)}, status "
              f"{done.returncode}):\n{done.stderr or done.stdout}")
        sys.exit(1)
    objects = []
    decoder = json.JSONDecoder()
    text = done.stdout
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            break
        value, at = decoder.raw_decode(text, at)
        objects.extend(value.get("items", []) if value.get("kind") == "List" else [value])
    return objects


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def equal(self, what, expected, found):
        if expected == found:
            self.passed += 1
            print(f"ok: {what}: {found!r}")
        else:
            self.failed += 1
            print(f"FAIL: {what}: expected {expected!r}, found {found!r}")
        return expected == found

    def true(self, what, condition, expected, found):
        if condition:
            self.passed += 1
            print(f"ok: {what}: {found!r}")
        else:
            self.failed += 1
            print(f"FAIL: {what}: expected {expected}, found {found!r}")
        return condition


def one(checks, objects, kind, what, predicate=lambda o: True):
    found = [o for o in objects if o.get("kind") == kind and predicate(o)]
    names = [name_of(o) for o in found]
    if checks.equal(f"one {what} ({kind})", 1, len(found)):
        return found[0]
    print(f"    {kind} objects found: {names}")
    return None


def name_of(o):
    return o.get("metadata", {}).get("name")


def pod_spec(workload):
    return workload.get("spec", {}).get("template", {}).get("spec", {})


def container(workload):
    containers = pod_spec(workload).get("containers", [])
    return containers[0] if containers else {}


def argv(c):
    return list(c.get("command", [])) + list(c.get("args", []))


def flag(words, name):
    """The value of --name in a command line, as `--name value` or `--name=value`."""
    for i, word in enumerate(words):
        if word == name and i + 1 < len(words):
            return words[i + 1]
        if word.startswith(name + "="):
            return word[len(name) + 1:]
    return None


def port_of(address):
    """The port of HOST:PORT, as an int, or None."""
    if not address or ":" not in address:
        return None
    tail = address.rsplit(":", 1)[1]
    return int(tail) if tail.isdigit() else None


def container_port(c, port):
    """The container port a probe's or Service's port (a name or a number) reaches, or None."""
    by_name = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
    if isinstance(port, str):
        return by_name.get(port)
    return port if port in by_name.values() else None


def check_object_basics(checks, objects):
    for o in objects:
        name = name_of(o)
        checks.true(f"{o.get('kind')} {name} has apiVersion, kind and name",
                    bool(o.get("apiVersion") and o.get("kind") and name), "all three",
                    (o.get("apiVersion"), o.get("kind"), name))
        if o.get("kind") != "Namespace":
            checks.equal(f"{o.get('kind')} {name}: namespace", NAMESPACE,
                         o.get("metadata", {}).get("namespace"))


def check_selects(checks, service, workload):
    selector = service.get("spec", {}).get("selector") or {}
    match = workload.get("spec", {}).get("selector", {}).get("matchLabels") or {}
    labels = workload.get("spec", {}).get("template", {}).get("metadata", {}).get("labels") or {}
    sname, wname = name_of(service), name_of(workload)
    checks.true(f"Service {sname} selects the pods of {wname}",
                bool(selector) and selector.items() <= labels.items(),
                f"a selector within the pod labels {labels}", selector)
    checks.true(f"{wname}'s selector matches its pod labels",
                bool(match) and match.items() <= labels.items(),
                f"matchLabels within {labels}", match)


def check_service_ports(checks, service, c, names, headless):
    """Each named port exists, and reaches the container port of the same name and number."""
    sname = name_of(service)
    ports = {p.get("name"): p for p in service.get("spec", {}).get("ports", [])}
    for name in names:
        p = ports.get(name)
        if not checks.true(f"Service {sname} has a port named {name}", p is not None,
                           "present", sorted(n for n in ports if n)):
            continue
        reached = container_port(c, p.get("targetPort", p.get("port")))
        checks.equal(f"Service {sname} port {name}: targetPort reaches container port {name}",
                     container_port(c, name), reached)
        if headless:
            # DNS of a headless Service returns pod addresses: clients dial the container port
            # itself, so the Service's port must be that number.
            checks.equal(f"headless Service {sname} port {name} equals the container port",
                         container_port(c, name), p.get("port"))


def check_http_probe(checks, workload, c, probe_name, http_port):
    wname = name_of(workload)
    probe = c.get(probe_name)
    if not checks.true(f"{wname} has a {probe_name}", probe is not None, "an httpGet probe", probe):
        return
    get = probe.get("httpGet") or {}
    checks.equal(f"{wname} {probe_name} path", "/healthz", get.get("path"))
    checks.equal(f"{wname} {probe_name} port reaches the HTTP port", http_port,
                 container_port(c, get.get("port")))


def check_secret_volume(checks, workload, c):
    wname = name_of(workload)
    pod = pod_spec(workload)
    volumes = [v for v in pod.get("volumes", [])
               if (v.get("secret") or {}).get("secretName") == SECRET_NAME]
    if not checks.equal(f"{wname}: volumes from Secret {SECRET_NAME}", 1, len(volumes)):
        return
    volume = volumes[0]
    checks.equal(f"{wname}: Secret volume defaultMode (0400 owner-only; Hatch refuses shared files)",
                 OWNER_READ_ONLY, volume["secret"].get("defaultMode"))
    checks.equal(f"{wname}: Secret volume maps every key to a file of its name (no items)",
                 None, volume["secret"].get("items"))
    checks.equal(f"{wname}: no fsGroup (it adds group read to the Secret's files)", None,
                 (pod.get("securityContext") or {}).get("fsGroup"))
    mounts = [m for m in c.get("volumeMounts", []) if m.get("name") == volume.get("name")]
    if checks.equal(f"{wname}: mounts of the Secret volume", 1, len(mounts)):
        checks.equal(f"{wname}: Secret mount path", MOUNT_PATH, mounts[0].get("mountPath"))
        checks.equal(f"{wname}: Secret mount read-only", True, mounts[0].get("readOnly"))


def check_nodes(checks, headless, nodes):
    c = container(nodes)
    words = argv(c)
    spec = nodes.get("spec", {})
    checks.equal("StatefulSet serviceName is the headless Service", name_of(headless),
                 spec.get("serviceName"))
    checks.equal("headless Service clusterIP", "None", headless.get("spec", {}).get("clusterIP"))
    checks.equal("headless Service lists only ready nodes (publishNotReadyAddresses)", False,
                 headless.get("spec", {}).get("publishNotReadyAddresses", False))
    check_selects(checks, headless, nodes)
    checks.equal("node container port rpc", 7000, container_port(c, "rpc"))
    checks.equal("node container port http", 9100, container_port(c, "http"))
    check_service_ports(checks, headless, c, ["rpc", "http"], headless=True)
    checks.true("the node runs `hatch node` as PID 1 (the preStop hook signals PID 1)",
                words[:2] in (["hatch", "node"], ["/usr/local/bin/hatch", "node"]),
                "command starting with hatch node", words[:2])
    checks.equal("node --listen port is container port rpc", container_port(c, "rpc"),
                 port_of(flag(words, "--listen")))
    checks.equal("node --http-listen port is container port http", container_port(c, "http"),
                 port_of(flag(words, "--http-listen")))
    checks.equal("node --secret-file", MOUNT_PATH + "/secret", flag(words, "--secret-file"))
    checks.equal("node --http-token-file", MOUNT_PATH + "/token", flag(words, "--http-token-file"))
    for probe in ("readinessProbe", "livenessProbe"):
        check_http_probe(checks, nodes, c, probe, container_port(c, "http"))
    check_secret_volume(checks, nodes, c)

    hook = ((c.get("lifecycle") or {}).get("preStop") or {}).get("exec") or {}
    script = " ".join(hook.get("command", []))
    checks.true("node preStop hook signals the node to drain and waits for it",
                "kill -TERM 1" in script and "kill -0 1" in script,
                "an exec hook with 'kill -TERM 1' and a 'kill -0 1' wait", script)
    drain_ms = flag(words, "--drain-timeout-ms")
    grace_s = pod_spec(nodes).get("terminationGracePeriodSeconds", 30)
    if checks.true("node --drain-timeout-ms is given", drain_ms is not None and drain_ms.isdigit(),
                   "a number of milliseconds", drain_ms):
        checks.true("terminationGracePeriodSeconds exceeds the drain timeout",
                    grace_s * 1000 > int(drain_ms), f"more than {int(drain_ms) / 1000:g} s",
                    grace_s)


def check_origin(checks, origin, service, headless):
    c = container(origin)
    words = argv(c)
    spec = origin.get("spec", {})
    checks.equal("origin Deployment replicas (one origin owns the nodes)", 1, spec.get("replicas"))
    checks.equal("origin Deployment strategy (never two origins at once)", "Recreate",
                 (spec.get("strategy") or {}).get("type"))
    check_selects(checks, service, origin)
    check_service_ports(checks, service, c, ["join", "http"], headless=False)

    rpc = next((p.get("port") for p in headless.get("spec", {}).get("ports", [])
                if p.get("name") == "rpc"), None)
    expected = f"dns:{name_of(headless)}.{NAMESPACE}.svc.cluster.local:{rpc}"
    checks.equal("origin --hatch-nodes names the headless Service's DNS name and rpc port",
                 expected, flag(words, "--hatch-nodes"))
    checks.equal("origin --hatch-listen port is container port join", container_port(c, "join"),
                 port_of(flag(words, "--hatch-listen")))
    checks.equal("origin --hatch-http-listen port is container port http",
                 container_port(c, "http"), port_of(flag(words, "--hatch-http-listen")))
    env = {e.get("name"): e.get("value") for e in c.get("env", [])}
    secret_file = flag(words, "--hatch-secret-file") or env.get("HATCH_SECRET_FILE")
    checks.equal("origin secret file (--hatch-secret-file or HATCH_SECRET_FILE)",
                 MOUNT_PATH + "/secret", secret_file)
    checks.equal("origin --hatch-http-token-file", MOUNT_PATH + "/token",
                 flag(words, "--hatch-http-token-file"))
    check_http_probe(checks, origin, c, "readinessProbe", container_port(c, "http"))
    check_secret_volume(checks, origin, c)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    directory = sys.argv[1]
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        print("*" * 78)
        print("SKIPPED: kubectl not found (install Debian's kubernetes-client: scripts/setup does)")
        print("*" * 78)
        return SKIP
    objects = kubectl_objects(kubectl, directory)
    checks = Checks()
    check_object_basics(checks, objects)
    one(checks, objects, "Namespace", f"Namespace {NAMESPACE}",
        lambda o: name_of(o) == NAMESPACE)
    secret = one(checks, objects, "Secret", f"Secret {SECRET_NAME}",
                 lambda o: name_of(o) == SECRET_NAME)
    if secret is not None:
        keys = sorted(set(secret.get("data") or {}) | set(secret.get("stringData") or {}))
        for key in ("secret", "token"):  # the files /etc/hatch/secret and /etc/hatch/token
            checks.true(f"Secret {SECRET_NAME} holds key {key!r}", key in keys, "present", keys)
    headless = one(checks, objects, "Service", "headless Service",
                   lambda o: o.get("spec", {}).get("clusterIP") == "None")
    nodes = one(checks, objects, "StatefulSet", "node StatefulSet")
    origin = one(checks, objects, "Deployment", "origin Deployment")
    origin_service = None
    if origin is not None:
        origin_service = one(checks, objects, "Service", "Service of the origin",
                             lambda o: o.get("spec", {}).get("clusterIP") != "None" and
                             name_of(o) == name_of(origin))
    if headless is not None and nodes is not None:
        check_nodes(checks, headless, nodes)
    if origin is not None and origin_service is not None and headless is not None:
        check_origin(checks, origin, origin_service, headless)
    print(f"kubernetes manifests: {checks.passed} checks passed, {checks.failed} failed")
    return 0 if checks.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
