"""virtkit's cdk8s constructs from Python: the template library and a hand-written VM.

`virtkit_cdk8s` is the jsii build of virtkit's constructs (npm run cdk8s:python), so this app
runs the same code as the TypeScript twin beside it (chart.ts) and synthesizes the same YAML,
byte for byte (test/integration/cdk8s-python.test.ts checks that).

    python main.py [OUTDIR]        writes OUTDIR/python-vms.k8s.yaml (default: dist/)
"""

import sys

from cdk8s import App, Chart
from constructs import Construct

import virtkit_cdk8s as vk


class PythonVms(Chart):
    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id, namespace="apps")

        # The library: u1 sizes and two OS preferences, cluster-wide.
        vk.InstancetypeLibrary(self, "instancetypes", series=["u1"], sizes=["small", "medium"])
        vk.PreferenceLibrary(self, "preferences", os=["fedora", "ubuntu"])

        # A VM from the template pattern, customised after construction.
        web = vk.VmTemplate(
            self,
            "web",
            name="web",
            image="quay.io/containerdisks/fedora:40",
            size="u1.medium",
            os="fedora",
            labels={"team": "storefront"},
            user_data="#cloud-config\npackages: [nginx]\n",
        )
        web.workload.add_toleration(key="dedicated", operator="Equal", value="vms", effect="NoSchedule")
        web.workload.add_node_selector("disk", "ssd")

        # A pool of three from the same template.
        vk.VmTemplate(self, "workers", name="workers", image="quay.io/containerdisks/ubuntu:24.04", os="ubuntu", replicas=3)

        # A VM written prop by prop: structs, enums and value classes.
        db = vk.VirtualMachine(
            self,
            "db",
            name="db",
            labels={"app": "db"},
            run_strategy=vk.RunStrategy.RERUN_ON_FAILURE,
            cpu=vk.CpuTopology(cores=2, model="host-passthrough"),
            memory="4Gi",
            firmware=vk.Firmware.efi(secure_boot=False),
            features=vk.FeaturesSpec(smm=vk.FeatureSwitchSpec(enabled=True), apic=vk.FeatureApicSpec()),
            disks=[
                vk.DiskProps(
                    name="root",
                    source=vk.Disk.data_volume(
                        vk.DataVolumeTemplate.data_source("fedora", source_namespace="os-images", size="30Gi")
                    ),
                    bus=vk.DiskBus.VIRTIO,
                    boot_order=1,
                ),
                vk.DiskProps(name="data", source=vk.Disk.persistent_volume_claim("db-data"), bus=vk.DiskBus.SCSI),
                vk.DiskProps(name="cloudinit", source=vk.Disk.cloud_init_no_cloud(user_data_secret="db-cloud-init")),
            ],
            affinity=vk.AffinitySpec(
                pod_anti_affinity=vk.PodAffinitySpec(
                    required_during_scheduling_ignored_during_execution=[
                        vk.PodAffinityTermSpec(
                            label_selector=vk.LabelSelectorSpec(match_labels={"app": "db"}),
                            topology_key="kubernetes.io/hostname",
                        )
                    ]
                )
            ),
            readiness_probe=vk.Probe.tcp_socket(5432, initial_delay_seconds=30),
            eviction_strategy=vk.EvictionStrategy.LIVE_MIGRATE,
        )
        db.add_pod_network()


def main() -> None:
    app = App(outdir=sys.argv[1] if len(sys.argv) > 1 else "dist")
    PythonVms(app, "python-vms")
    app.synth()


if __name__ == "__main__":
    main()
