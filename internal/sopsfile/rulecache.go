package sopsfile

import (
	"sync"

	"filippo.io/age"

	"github.com/getsops/sops/v3"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/config"
)

// RuleCache lets a run over many files read .sops.yaml once: sops's own
// loader re-reads and re-parses the whole config on every call, which was
// a quarter of rekey's time on a 500-file repository. It remembers the
// stores settings, and what each creation rule wants when the rule holds
// age keys only (master keys carry per-file state, so each file gets
// fresh ones built from the remembered recipients; rules with other key
// types are asked of sops every time). Rule indexes come from
// sopsconfig.Match, which picks the rule exactly as sops does.
type RuleCache struct {
	mu     sync.Mutex
	stores map[string]*config.StoresConfig
	rules  map[ruleKey]*cachedRule
	// recips holds the recipient of each identity seen (a bech32
	// encoding for every identity and every file, otherwise).
	recips map[*age.X25519Identity]string
}

type ruleKey struct {
	config string
	rule   int
}

type cachedRule struct {
	groups    [][]string
	threshold int
}

// NewRuleCache returns an empty cache, safe for concurrent use.
func NewRuleCache() *RuleCache {
	return &RuleCache{stores: map[string]*config.StoresConfig{}, rules: map[ruleKey]*cachedRule{},
		recips: map[*age.X25519Identity]string{}}
}

// recipientOf returns the age1… recipient of an identity.
func (c *RuleCache) recipientOf(id *age.X25519Identity) string {
	if c == nil {
		return id.Recipient().String()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.recips[id]
	if !ok {
		r = id.Recipient().String()
		c.recips[id] = r
	}
	return r
}

func (c *RuleCache) storesConfig(configPath string) *config.StoresConfig {
	if c == nil {
		return loadStores(configPath)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	sc, ok := c.stores[configPath]
	if !ok {
		sc = loadStores(configPath)
		c.stores[configPath] = sc
	}
	return sc
}

func loadStores(configPath string) *config.StoresConfig {
	if configPath != "" {
		if sc, err := config.LoadStoresConfig(configPath); err == nil && sc != nil {
			return sc
		}
	}
	return config.NewStoresConfig()
}

// creationRule returns the rule's config for the file at abs, from the
// cache when rule >= 0 and the rule was seen with age keys only.
func (c *RuleCache) creationRule(configPath, abs string, rule int) (*config.Config, error) {
	if c != nil && rule >= 0 {
		c.mu.Lock()
		cr := c.rules[ruleKey{configPath, rule}]
		c.mu.Unlock()
		if cr != nil {
			if conf, ok := cr.fresh(); ok {
				return conf, nil
			}
		}
	}
	conf, err := config.LoadCreationRuleForFile(configPath, abs, nil)
	if err != nil || conf == nil || c == nil || rule < 0 {
		return conf, err
	}
	if cr, ok := remember(conf); ok {
		c.mu.Lock()
		c.rules[ruleKey{configPath, rule}] = cr
		c.mu.Unlock()
	}
	return conf, nil
}

// remember keeps a rule's recipients when every key is an age key.
func remember(conf *config.Config) (*cachedRule, bool) {
	cr := &cachedRule{threshold: conf.ShamirThreshold}
	for _, g := range conf.KeyGroups {
		var rs []string
		for _, k := range g {
			ak, ok := k.(*sopsage.MasterKey)
			if !ok {
				return nil, false
			}
			rs = append(rs, ak.Recipient)
		}
		cr.groups = append(cr.groups, rs)
	}
	return cr, true
}

// fresh builds new master keys from the remembered recipients.
func (cr *cachedRule) fresh() (*config.Config, bool) {
	conf := &config.Config{ShamirThreshold: cr.threshold}
	for _, rs := range cr.groups {
		var g sops.KeyGroup
		for _, r := range rs {
			mk, err := sopsage.MasterKeyFromRecipient(r)
			if err != nil {
				return nil, false
			}
			g = append(g, mk)
		}
		conf.KeyGroups = append(conf.KeyGroups, g)
	}
	return conf, true
}
