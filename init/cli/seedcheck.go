package cli

import (
	"context"
	"errors"
	"fmt"

	"tandem/init/seed"
)

func init() {
	register("seed check", "FILE [FILE]  validate seeds; given both nodes' seeds, check they form a pair", seedCheck)
}

func seedCheck(env Env) int {
	if len(env.Args) == 0 || len(env.Args) > 2 {
		fmt.Fprintln(env.Stderr, "usage: tandem seed check FILE [PEER-FILE]")
		return 2
	}
	ctx := context.Background()
	var configs []*seed.Config
	failed := false
	for _, path := range env.Args {
		c, err := seed.Load(ctx, path, seed.Options{CheckHAProxy: checkHAProxy})
		if err != nil {
			printProblems(env, err)
			failed = true
			continue
		}
		configs = append(configs, c)
	}
	if failed {
		return 1
	}
	if len(configs) == 2 {
		if err := seed.CheckPair(configs[0], configs[1]); err != nil {
			printProblems(env, err)
			return 1
		}
	}
	for _, c := range configs {
		fmt.Fprintf(env.Stdout, "%s: ok: node %s of cluster %s, %d VIP(s), profile %s\n",
			c.Source, c.Node.Name, c.Node.Cluster, len(c.VIPs), c.Failover.Profile)
	}
	if len(configs) == 2 {
		fmt.Fprintf(env.Stdout, "pair ok: %s and %s\n", configs[0].Node.Name, configs[1].Node.Name)
	}
	return 0
}

func printProblems(env Env, err error) {
	var ps seed.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			fmt.Fprintln(env.Stderr, p.String())
		}
		return
	}
	fmt.Fprintln(env.Stderr, err)
}
