// A CoreDNS with only the plugins a cluster DNS needs (the same pattern as CoreDNS' own
// "compile with external source" example): keeps the build small and quick.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
	_ "github.com/coredns/coredns/plugin/template"
	_ "github.com/coredns/coredns/plugin/whoami"
)

// Plugin execution order: the order of CoreDNS' plugin.cfg restricted to the plugins above, except that template
// (NXDOMAIN for every name outside the cluster: there is no upstream) comes after kubernetes.
var directives = []string{
	"reload", "bind", "ready", "health", "errors", "log", "loadbalance", "cache", "kubernetes", "template", "whoami",
}

func init() { dnsserver.Directives = directives }

func main() { coremain.Run() }
