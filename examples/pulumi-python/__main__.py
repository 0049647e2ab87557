"""One virtkit VirtualMachine from Python.

`virtkit.VirtualMachine` is the `virtkit:index:VirtualMachine` component, served to Python by
virtkit's component provider plugin (pulumi-resource-virtkit): it validates the spec with the
same rules as virtkit's admission, creates the kubevirt.io/v1 VirtualMachine, and waits as the
run strategy promises (Always: the Ready condition; Halted: stopped; Manual: nothing).

Configuration (`npm run pulumi -- config set KEY VALUE --cwd examples/pulumi-python`), every key
optional:
  namespace    the VM's namespace                    (default default)
  memory       the guest memory                      (default 1Gi)
  image        the container disk                    (default quay.io/containerdisks/fedora:40)
  runStrategy  Always, Halted, Manual, ...           (default Always)
"""

import pulumi
import pulumi_virtkit as virtkit

config = pulumi.Config()
namespace = config.get("namespace") or "default"
memory = config.get("memory") or "1Gi"
image = config.get("image") or "quay.io/containerdisks/fedora:40"
run_strategy = config.get("runStrategy") or "Always"

# The spec in KubeVirt's own shape (the same fields as a VirtualMachine manifest).
vm = virtkit.VirtualMachine(
    "fedora",
    namespace=namespace,
    labels={"app": "fedora"},
    spec={
        "runStrategy": run_strategy,
        "template": {
            "metadata": {"labels": {"app": "fedora"}},
            "spec": {
                "domain": {
                    "cpu": {"cores": 1},
                    "memory": {"guest": memory},
                    "devices": {
                        "disks": [
                            {"name": "root", "disk": {"bus": "virtio"}},
                            {"name": "cloudinit", "disk": {"bus": "virtio"}},
                        ],
                        "interfaces": [{"name": "default", "masquerade": {}}],
                    },
                },
                "networks": [{"name": "default", "pod": {}}],
                "volumes": [
                    {"name": "root", "containerDisk": {"image": image}},
                    {
                        "name": "cloudinit",
                        "cloudInitNoCloud": {"userData": "#cloud-config\nhostname: fedora\n"},
                    },
                ],
            },
        },
    },
)

pulumi.export("name", vm.object_name)
pulumi.export("namespace", vm.namespace)
pulumi.export("printableStatus", vm.printable_status)
