package sopsconfig

import (
	"fmt"
	"strings"
)

// The oracle recomputes what sops 3.13.3 resolves for each rule straight
// from the sops-shaped structs (no nodes, no positions), as a literal port
// of config.go's getKeyGroupsFromCreationRule / extractMasterKeys /
// parseKeyField. Tests and the fuzz target compare Parse against it.

// oracleRule is what the oracle says about one rule.
type oracleRule struct {
	groups [][]string
	failed bool // sops would fail on this rule for a non-recipient reason
}

func oracleResolve(cf *configFile) []oracleRule {
	var out []oracleRule
	for i := range cf.CreationRules {
		out = append(out, oracleRuleOf(&cf.CreationRules[i]))
	}
	return out
}

func oracleRuleOf(cr *creationRule) oracleRule {
	var o oracleRule
	n := 0
	for _, v := range []string{cr.UnencryptedSuffix, cr.EncryptedSuffix, cr.UnencryptedRegex, cr.EncryptedRegex, cr.UnencryptedCommentRegex, cr.EncryptedCommentRegex} {
		if v != "" {
			n++
		}
	}
	o.failed = n > 1
	if len(cr.KeyGroups) > 0 {
		for _, g := range cr.KeyGroups {
			keys, failed := oracleExtract(g)
			o.failed = o.failed || failed
			o.groups = append(o.groups, oracleDedupe(keys))
		}
		return o
	}
	var keys []string
	field := func(v any, each func(string)) {
		list, err := oracleParseKeyField(v)
		if err != nil {
			o.failed = true
			return
		}
		joined := strings.Join(list, ",")
		if joined == "" {
			return
		}
		for _, s := range strings.Split(joined, ",") {
			each(s)
		}
	}
	field(cr.Age, func(s string) { keys = append(keys, "age:"+strings.TrimSpace(s)) })
	field(cr.PGP, func(s string) { keys = append(keys, "pgp:"+noSpaces(s)) })
	field(cr.KMS, func(s string) { keys = append(keys, "kms:"+kmsFromArn(s, cr.AwsProfile)) })
	field(cr.GCPKMS, func(s string) { keys = append(keys, "gcp_kms:"+noSpaces(s)) })
	field(anySlice(cr.HCKms), func(s string) {
		if s = strings.TrimSpace(s); s == "" {
			return
		} else if checkHCKMSKeyID(s) != nil {
			o.failed = true
			return
		}
		keys = append(keys, "hckms:"+s)
	})
	field(cr.AzureKeyVault, func(s string) {
		v, err := azureFromURL(s)
		if err != nil {
			o.failed = true
			return
		}
		keys = append(keys, "azure_keyvault:"+v)
	})
	field(cr.VaultURI, func(s string) {
		if s == "" {
			return
		}
		v, err := vaultValue(s)
		if err != nil {
			o.failed = true
			return
		}
		keys = append(keys, "hc_vault:"+v)
	})
	o.groups = [][]string{keys}
	return o
}

// anySlice turns the typed rule-level hckms list into what parseKeyField
// would see ([]string is passed through by sops).
func anySlice(v []string) any {
	if v == nil {
		return nil
	}
	return v
}

func oracleParseKeyField(field any) ([]string, error) {
	switch v := field.(type) {
	case nil:
		return nil, nil
	case string:
		var out []string
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); k != "" {
				out = append(out, k)
			}
		}
		return out, nil
	case []any:
		out := make([]string, len(v))
		for i, item := range v {
			s, ok := item.(string)
			if !ok {
				return nil, fmt.Errorf("not a string")
			}
			out[i] = s
		}
		return out, nil
	case []string:
		return v, nil
	}
	return nil, fmt.Errorf("bad type %T", field)
}

func oracleExtract(g keyGroup) (keys []string, failed bool) {
	for _, m := range g.Merge {
		sub, f := oracleExtract(m)
		keys = append(keys, oracleDedupe(sub)...)
		failed = failed || f
	}
	for _, a := range g.Age {
		if a == "" {
			continue
		}
		for _, s := range strings.Split(a, ",") {
			keys = append(keys, "age:"+strings.TrimSpace(s))
		}
	}
	for _, p := range g.PGP {
		keys = append(keys, "pgp:"+noSpaces(p))
	}
	for _, k := range g.KMS {
		v, nilCtx := kmsValue(k.Arn, k.Role, k.Context, k.AwsProfile)
		failed = failed || nilCtx
		keys = append(keys, "kms:"+v)
	}
	for _, k := range g.GCPKMS {
		keys = append(keys, "gcp_kms:"+noSpaces(k.ResourceID))
	}
	for _, k := range g.HCKms {
		if checkHCKMSKeyID(k.KeyID) != nil {
			failed = true
			continue
		}
		keys = append(keys, "hckms:"+k.KeyID)
	}
	for _, k := range g.AzureKV {
		keys = append(keys, "azure_keyvault:"+azureValue(k.VaultURL, k.Key, k.Version))
	}
	for _, u := range g.Vault {
		v, err := vaultValue(u)
		if u == "" || err != nil {
			failed = true
			continue
		}
		keys = append(keys, "hc_vault:"+v)
	}
	return oracleDedupe(keys), failed
}

func oracleDedupe(keys []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
