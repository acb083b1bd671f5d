package sopsconfig

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
)

// The functions below compute, without the sops library, the value a
// sops master key built from a config entry reports as ToString() (what
// sops deduplicates on and what keycycle compares), and the errors sops's
// constructors return. Each names the sops 3.13.3 function it mirrors.

// noSpaces mirrors pgp.NewMasterKeyFromFingerprint and
// gcpkms.NewMasterKeyFromResourceID: every ' ' is removed (not tabs).
func noSpaces(s string) string {
	return strings.ReplaceAll(s, " ", "")
}

// kmsFromArn mirrors kms.NewMasterKeyFromArn (flat kms entries): spaces
// removed, "ARN+arn:ROLE" split into ARN and role; no context.
func kmsFromArn(s, awsProfile string) string {
	arn := noSpaces(s)
	role := ""
	if i := strings.Index(arn, "+arn:"); i > 0 {
		arn, role = arn[:i], arn[i+1:]
	}
	v, _ := kmsValue(arn, role, nil, awsProfile)
	return v
}

// kmsValue mirrors kms MasterKey.ToString. nilValue reports a context key
// with a null value, on which sops dereferences a nil pointer.
func kmsValue(arn, role string, context map[string]*string, awsProfile string) (v string, nilValue bool) {
	arnRole := arn
	if role != "" {
		arnRole = arn + "+" + role
	}
	names := make([]string, 0, len(context))
	for k := range context {
		names = append(names, k)
	}
	sort.Strings(names)
	pairs := make([]string, 0, len(names))
	for _, k := range names {
		val := ""
		if p := context[k]; p != nil {
			val = *p
		} else {
			nilValue = true
		}
		pairs = append(pairs, k+":"+val)
	}
	ctx := strings.Join(pairs, ",")
	switch {
	case awsProfile != "":
		return fmt.Sprintf("%s|%s|%s", arnRole, ctx, awsProfile), nilValue
	case ctx != "":
		return fmt.Sprintf("%s|%s", arnRole, ctx), nilValue
	}
	return arnRole, nilValue
}

// checkHCKMSKeyID mirrors hckms parseKeyID: "region:key-uuid", both parts
// non-empty after trimming.
func checkHCKMSKeyID(keyID string) error {
	keyID = strings.TrimSpace(keyID)
	region, uuid, ok := strings.Cut(keyID, ":")
	if !ok {
		return fmt.Errorf("invalid key ID format: expected 'region:key-uuid', got %q", keyID)
	}
	if strings.TrimSpace(region) == "" {
		return fmt.Errorf("region cannot be empty in key ID: %q", keyID)
	}
	if strings.TrimSpace(uuid) == "" {
		return fmt.Errorf("key UUID cannot be empty in key ID: %q", keyID)
	}
	return nil
}

// azureValue mirrors azkv MasterKey.ToString. An empty version is kept
// empty: sops would ask Azure for the latest one.
func azureValue(vaultURL, name, version string) string {
	return fmt.Sprintf("%s/keys/%s/%s", vaultURL, name, version)
}

// azureFromURL mirrors azkv.NewMasterKeyFromURL (flat azure_keyvault).
func azureFromURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	re := regexp.MustCompile("^(https://[^/]+)/keys/([^/]+)(/[^/]*)?$")
	parts := re.FindStringSubmatch(s)
	if len(parts) < 3 {
		return "", fmt.Errorf("could not parse %q into a valid Azure Key Vault key URL (https://VAULT/keys/NAME[/VERSION])", s)
	}
	version := ""
	if len(parts[3]) > 1 {
		version = parts[3][1:]
	}
	return azureValue(parts[1], parts[2], version), nil
}

// vaultValue mirrors hcvault.NewMasterKeyFromURI and MasterKey.ToString.
func vaultValue(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", err
	}
	if u.Scheme == "" {
		return "", fmt.Errorf("missing scheme in Vault URL (should be like https://vault.example.com:8200/v1/transit/keys/keyName), got: %v", uri)
	}
	fullPath := u.RequestURI()
	if regexp.MustCompile(`/[^/]+/v[\d]+/[^/]+/[^/]+/[^/]+`).MatchString(fullPath) {
		return "", fmt.Errorf("running Vault with a prefixed URL is not supported (format: https://vault.example.com:8200/v1/transit/keys/keyName)")
	}
	if !regexp.MustCompile(`/v[\d]+/[^/]+/[^/]+/[^/]+`).MatchString(fullPath) {
		return "", fmt.Errorf("vault path does not seem to be formatted correctly (format: https://vault.example.com:8200/v1/transit/keys/keyName)")
	}
	dirs := strings.Split(strings.Trim(fullPath, "/"), "/")
	keyName := dirs[len(dirs)-1]
	enginePath := path.Join(dirs[1 : len(dirs)-2]...)
	u.Path = ""
	return fmt.Sprintf("%s/v1/%s/keys/%s", u.String(), enginePath, keyName), nil
}
