//go:build tools

// Package controlplane pins the Kubernetes commands that local mode and kubelet nodes run. The file is never
// compiled (build tag "tools"); it only keeps these main packages and their dependencies in
// go.mod and go.sum so `go build <package>` works offline from the module cache.
package controlplane

import (
	// etcd at the version this Kubernetes release pins (Debian's 3.4 cannot serve its watches).
	_ "go.etcd.io/etcd/server/v3"

	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
