import random, sys, os
AGE = ["age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw",
       "age1tmaae3ld5vpevmsh5yacsauzx8jetg300mpvc4ugp5zr5l6ssq9sla97ep",
       "age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs",
       "age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452"]
PGP = ["FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4", "D7229043 384BCC60", "abc def", ""]
KMS = ["arn:aws:kms:us-east-1:1:key/k", "arn:aws:kms:k+arn:aws:iam::1:role/r", " arn:x y "]
GCP = ["projects/p/locations/l/keyRings/r/cryptoKeys/k", " p r "]
HCK = ["reg:uuid", " reg : u ", "nocolon", ":u", "r:"]
VAULT = ["https://v:8200/v1/transit/keys/k", "http://v/v1/sops/keys/x", "nope", "https://v/pre/v1/t/keys/k", ""]
REGEX = ["", "a", "\\.yaml$", "^secrets/", "(", "zzz", "x\\.", "hosts/.*", "[", None, None]
PROBES = ["a", "x.yaml", "secrets/a.yaml", "hosts/a/secrets.yaml", "zzz", "b.txt"]
R = None

def q(s):
    c = R.random()
    if c < 0.5: return "'" + s.replace("'", "''") + "'"
    if c < 0.7 and s and s.strip() == s and not any(ch in s for ch in ":#,[]{}&*!|>'\"%@`") : return s
    return '"' + s.replace('\\','\\\\').replace('"','\\"') + '"'

anchors = []
def keyval(kind):
    if kind == "age":
        if anchors and R.random() < 0.4:
            return "*" + R.choice(anchors)
        v = R.choice(AGE)
        if R.random() < 0.2: v = " " + v + " "
        if R.random() < 0.15: v = v + "," + R.choice(AGE)
        if R.random() < 0.05: v = v + ","
        return q(v)
    if kind == "pgp": return q(R.choice(PGP))
    if kind == "hc_vault": return q(R.choice(VAULT))
    return q("x")

def flow_or_block(items, ind):
    if not items: return " []"
    if R.random() < 0.4:
        return " [" + ", ".join(items) + "]"
    return "".join("\n" + " " * ind + "- " + it for it in items)

def group(ind, depth=0):
    lines = []
    fields = R.sample(["age", "pgp", "kms", "gcp_kms", "hckms", "hc_vault", "merge", "agez"], R.randint(0, 3))
    for f in fields:
        if f in ("age", "pgp", "hc_vault"):
            items = [keyval(f) for _ in range(R.randint(0, 3))]
            if R.random() < 0.1: items.append("~")
            lines.append(f + ":" + flow_or_block(items, ind + 2))
        elif f == "kms":
            items = []
            for _ in range(R.randint(1, 2)):
                parts = ["arn: " + q(R.choice(KMS))]
                if R.random() < 0.3: parts.append("role: r")
                if R.random() < 0.3: parts.append("context: {b: '2', a: '1'}")
                if R.random() < 0.3: parts.append("aws_profile: p")
                items.append("{" + ", ".join(parts) + "}")
            lines.append("kms:" + flow_or_block(items, ind + 2))
        elif f == "gcp_kms":
            lines.append("gcp_kms: [{resource_id: " + q(R.choice(GCP)) + "}]")
        elif f == "hckms":
            lines.append("hckms: [{key_id: " + q(R.choice(HCK)) + "}]")
        elif f == "merge" and depth < 2:
            subs = []
            for _ in range(R.randint(0, 2)):
                if groupanchors and R.random() < 0.3:
                    subs.append("*" + R.choice(groupanchors))
                else:
                    subs.append("{" + ", ".join(group_flow(depth + 1)) + "}")
            lines.append("merge: [" + ", ".join(subs) + "]")
        elif f == "agez":
            lines.append("agez: [x]")
    return lines

def group_flow(depth):
    out = []
    for l in group(0, depth):
        if "\n" in l: continue
        out.append(l)
    return out

groupanchors = []
def flat(f):
    if f == "hckms":
        return "hckms: [" + ", ".join(q(R.choice(HCK)) for _ in range(R.randint(0,2))) + "]"
    pool = {"age": AGE, "pgp": PGP, "kms": KMS, "gcp_kms": GCP, "hc_vault_transit_uri": VAULT[:3]}[f]
    c = R.random()
    if f == "age" and anchors and c < 0.2:
        return "age: *" + R.choice(anchors)
    if c < 0.45:
        vals = [R.choice(pool) for _ in range(R.randint(1, 3))]
        sep = R.choice([",", ", ", " ,", ",,"])
        return f + ": " + q(sep.join(vals) + R.choice(["", ",", " "]))
    if c < 0.55:
        vals = [R.choice(pool) for _ in range(R.randint(1, 3))]
        return f + ": >-\n      " + ",\n      ".join(vals)
    if c < 0.9:
        items = [q(R.choice(pool + [""])) for _ in range(R.randint(0, 3))]
        if R.random() < 0.1: items.append("~")
        if R.random() < 0.05: items.append("5")
        return f + ": [" + ", ".join(items) + "]"
    return f + ": " + R.choice(["~", "5", "{a: b}", "''"])

def rule():
    lines = []
    rx = R.choice(REGEX)
    if rx is not None: lines.append("path_regex: " + q(rx))
    if R.random() < 0.05: lines.append("path_regexp: x")
    for f in R.sample(["age", "pgp", "kms", "gcp_kms", "hckms", "hc_vault_transit_uri"], R.randint(0, 3)):
        lines.append(flat(f))
    if R.random() < 0.2: lines.append("aws_profile: prof")
    c = R.random()
    if c < 0.5:
        gl = []
        for _ in range(R.randint(0, 3)):
            r2 = R.random()
            if r2 < 0.1: gl.append("  - ~")
            elif r2 < 0.2: gl.append("  - {}")
            elif r2 < 0.35 and groupanchors: gl.append("  - *" + R.choice(groupanchors))
            else:
                g = group(4)
                if not g: gl.append("  - {}")
                else:
                    gl.append("  - " + g[0].replace("\n", "\n  "))
                    for l in g[1:]:
                        gl.append("    " + l.replace("\n", "\n  "))
        lines.append("key_groups:" + ("\n" + "\n".join(gl) if gl else " []"))
    if R.random() < 0.2: lines.append("shamir_threshold: " + R.choice(["0", "1", "2", "2.0"]))
    for s in R.sample(["encrypted_regex: a", "unencrypted_suffix: _u", "mac_only_encrypted: yes"], R.randint(0, 2)):
        lines.append(s)
    return lines

def gen_one():
    global anchors, groupanchors
    anchors=[]; groupanchors=[]
    out = []
    if R.random() < 0.7:
        out.append("keys:")
        for i in range(R.randint(1, 4)):
            name = "k%d" % i
            anchors.append(name)
            v = R.choice(AGE)
            if R.random() < 0.1: v = v + "," + R.choice(AGE)
            out.append("  - &%s %s" % (name, q(v)))
        if R.random() < 0.5:
            out.append("  - &grp {age: [%s], pgp: [%s]}" % (q(R.choice(AGE)), q(PGP[0])))
            groupanchors.append("grp")
    if R.random() < 0.2:
        out.append("defaults: &defaults {path_regex: x, age: %s}" % q(AGE[0]))
    out.append("creation_rules:")
    for _ in range(R.randint(0, 5)):
        c = R.random()
        if c < 0.05: out.append("  - ~"); continue
        if c < 0.12 and "defaults: &defaults" in "\n".join(out):
            out.append("  - <<: *defaults")
            rl = rule()
            for l in rl: out.append("    " + l.replace("\n", "\n  "))
            continue
        rl = rule()
        if not rl: out.append("  - {}"); continue
        out.append("  - " + rl[0].replace("\n", "\n  "))
        for l in rl[1:]:
            out.append("    " + l.replace("\n", "\n  "))
    return "\n".join(out)

for seed in range(int(sys.argv[1]), int(sys.argv[2])):
    R = random.Random(seed)
    open("gen/c%d.yaml" % seed, "w").write(gen_one() + "\n")
