package check

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/keycycle/keycycle/internal/textutil"
)

// DocsURL is where each finding ID is explained.
const DocsURL = "https://github.com/keycycle/keycycle/blob/main/docs/checks.md"

// WriteGitHub prints one GitHub Actions workflow command per finding
// (::error, ::warning or ::notice with file, line, col and title), then
// the summary line. display turns a finding's root-relative path into
// the one to annotate.
func WriteGitHub(out io.Writer, rep *Report, display func(string) string) {
	for _, f := range rep.Findings {
		level := map[Severity]string{Error: "error", Warning: "warning"}[f.Severity]
		if level == "" {
			level = "notice"
		}
		var props []string
		if file := display(f.File); file != "" {
			props = append(props, "file="+ghProperty(file))
			if f.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", f.Line))
				if f.Column > 0 {
					props = append(props, fmt.Sprintf("col=%d", f.Column))
				}
			}
		}
		props = append(props, "title="+ghProperty(f.ID+" "+f.Name))
		msg := f.Message
		if f.Hint != "" {
			msg += "\nhint: " + f.Hint
		}
		fmt.Fprintf(out, "::%s %s::%s\n", level, strings.Join(props, ","), ghData(msg))
	}
	fmt.Fprintf(out, "%s, %s, %s in %s and %s checked\n",
		textutil.Plural(rep.Errors, "error"), textutil.Plural(rep.Warnings, "warning"), textutil.Plural(rep.Infos, "note"),
		rep.Config, textutil.Plural(rep.Files, "secrets file"))
}

// ghData escapes a workflow command's message as the Actions toolkit does.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProperty escapes a workflow command's property value.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// SARIF 2.1.0, the subset keycycle writes.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string        `json:"id"`
	Name                 string        `json:"name"`
	ShortDescription     sarifText     `json:"shortDescription"`
	Help                 sarifText     `json:"help"`
	HelpURI              string        `json:"helpUri"`
	DefaultConfiguration sarifRuleConf `json:"defaultConfiguration"`
}

type sarifRuleConf struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// sarifLevel is the SARIF level of a severity.
func sarifLevel(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// WriteSARIF prints the report as one SARIF 2.1.0 log: every finding ID
// is a rule (with its help text and a link to docs/checks.md), every
// finding a result; version is keycycle's, display as for WriteGitHub.
func WriteSARIF(out io.Writer, rep *Report, version string, display func(string) string) error {
	kinds := Kinds()
	index := map[string]int{}
	driver := sarifDriver{Name: "keycycle", Version: version, InformationURI: "https://github.com/keycycle/keycycle"}
	for i, k := range kinds {
		index[k.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID: k.ID, Name: k.Name,
			ShortDescription:     sarifText{Text: k.Summary},
			Help:                 sarifText{Text: fmt.Sprintf("%s (%s). What it means and how to fix it: %s#%s", k.Summary, k.Severity, DocsURL, strings.ToLower(k.ID))},
			HelpURI:              DocsURL + "#" + strings.ToLower(k.ID),
			DefaultConfiguration: sarifRuleConf{Level: sarifLevel(k.Severity)},
		})
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, Results: []sarifResult{}}
	for _, f := range rep.Findings {
		msg := f.Message
		if f.Hint != "" {
			msg += " Hint: " + f.Hint
		}
		res := sarifResult{RuleID: f.ID, RuleIndex: index[f.ID], Level: sarifLevel(f.Severity), Message: sarifText{Text: msg}}
		if file := display(f.File); file != "" {
			loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: file}}}
			if f.Line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line, StartColumn: f.Column}
			}
			res.Locations = []sarifLocation{loc}
		}
		run.Results = append(run.Results, res)
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}
