using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Providers.HyperV;

namespace LabRunner.Cli.Tests;

/// <summary>
/// Seeded mutations of valid Labfiles. Whatever the text, the core returns diagnostics (never throws,
/// never prints control characters into a one-line message), and <c>lab</c> exits 0, 1 or 2 without an
/// internal error or a stack trace. The seeds are fixed so a failure reproduces; the case is in the message.
/// </summary>
public partial class FuzzTests
{
    private static readonly string[] Values =
    [
        "[]", "{}", "[1, 2]", "{ a: b }", "~", "\"\"", "''", "-1", "0", "1e309", "-1e309", "99999999999999999999", "1.5",
        "true", "no", "0x10", "0o17", ".inf", ".nan", "!!binary aGk=", "!!str 5", "!custom x", "*undefined", "&anchor x",
        "|\n  block text", ">-\n  folded", "\"\\u202Eevil\"", "\"💥🔥\"", "\"\\0\"", "\"\\uD800\"", "\"\\uDFFF\\uD800\"",
        "\"$(reboot)\"", "\"`reboot`\"", "\"a;b\"", "\"it's\"", "'say \"hi\"'", "\"web\\nx\"", "\"\\t\"", "\"\\r\\n\"",
        "\"{n}\"", "\"web-{n}\"", "10.188.0.0/16", "10.188.0.1", "256.0.0.1", "02-15-5D-00-00-01", "01-00-5E-00-00-01",
        "2GB", "2XB", "13TB", "65536", "\"" + new string('x', 5000) + "\"", "[[[[[]]]]]", "{ <<: {} }", "null",
        "\"\\x00\\x01\"", "\"Ω≈ç√∫\"", "\"\\u0645\\u0631\\u062D\\u0628\\u0627\"", "- a", "? x", ": y", "%YAML", "@at", "`tick`",
    ];

    private static readonly string[] Keys =
    [
        "name", "count", "box", "cpus", "memory", "generation", "os", "hostname", "user", "networks", "forwarded_ports",
        "user_data", "network", "ip", "mac", "guest", "host", "protocol", "host_ip", "auto_correct", "type", "subnet",
        "gateway", "dns", "adapter", "prefix", "path", "nat", "defaults", "boxes", "vms", "<<", "nmae", "\"\"", "\"k\\ney\"",
    ];

    [GeneratedRegex(@"(?<=: )[^\n#]+", RegexOptions.None)]
    private static partial Regex ScalarValue();

    private static IEnumerable<(string Name, string Text)> Seeds() =>
        Repo.ValidLabfileNames.Select(n => (n, Repo.Labfile(n))).Append(("Labfile.example.yml", Repo.Example));

    /// <summary>Every mutation of every seed; deterministic for a given seed number.</summary>
    private static IEnumerable<(string Case, string Text)> Mutations(int seed)
    {
        var random = new Random(seed);
        foreach (var (name, text) in Seeds())
        {
            for (var n = 0; n < text.Length; n += 7)
                yield return ($"{name} truncated at {n}", text[..n]);

            var lines = text.Split('\n');
            for (var i = 0; i < 150; i++)
            {
                var kind = random.Next(8);
                string mutated;
                switch (kind)
                {
                    case 0: // swap a value for another type or a hostile value
                    {
                        var matches = ScalarValue().Matches(text);
                        var m = matches[random.Next(matches.Count)];
                        mutated = text[..m.Index] + Values[random.Next(Values.Length)] + text[(m.Index + m.Length)..];
                        break;
                    }
                    case 1: // a random key with a random value, at a random line and indentation
                    {
                        var at = random.Next(lines.Length);
                        var indent = new string(' ', random.Next(0, 4) * 2);
                        var copy = lines.ToList();
                        copy.Insert(at, $"{indent}{Keys[random.Next(Keys.Length)]}: {Values[random.Next(Values.Length)]}");
                        mutated = string.Join('\n', copy);
                        break;
                    }
                    case 2: // delete, duplicate or swap lines
                    {
                        var copy = lines.ToList();
                        var a = random.Next(copy.Count);
                        var b = random.Next(copy.Count);
                        switch (random.Next(3))
                        {
                            case 0: copy.RemoveAt(a); break;
                            case 1: copy.Insert(a, copy[b]); break;
                            default: (copy[a], copy[b]) = (copy[b], copy[a]); break;
                        }
                        mutated = string.Join('\n', copy);
                        break;
                    }
                    case 3: // flip a character to a YAML indicator or a control character
                    {
                        var chars = text.ToCharArray();
                        const string Flips = "[]{}:,-?*&!|>'\"%@`#\t\0\u0085\u2028\uFEFF \n";
                        chars[random.Next(chars.Length)] = Flips[random.Next(Flips.Length)];
                        mutated = new string(chars);
                        break;
                    }
                    case 4: // re-indent a line
                    {
                        var copy = lines.ToList();
                        var a = random.Next(copy.Count);
                        copy[a] = new string(' ', random.Next(0, 9)) + copy[a].TrimStart();
                        mutated = string.Join('\n', copy);
                        break;
                    }
                    case 5: // a huge number in a numeric place
                    {
                        string[] numbers = ["1e309", "99999999999999999999", "-99999999999999999999", "2147483648", "4294967296", "9223372036854775808", "1000", "0x7fffffff"];
                        mutated = Regex.Replace(text, @"(?<=(count|cpus|guest|host|generation|memory): )[^\n#,}]+", _ => numbers[random.Next(numbers.Length)]);
                        break;
                    }
                    case 6: // hostile names everywhere a name goes
                    {
                        var hostile = Values[random.Next(Values.Length)];
                        mutated = Regex.Replace(text, @"(?<=name: )[^\n#,}]+", _ => random.Next(2) == 0 ? hostile : "web");
                        break;
                    }
                    default: // several mutations at once: truncate a mutated text
                    {
                        var matches = ScalarValue().Matches(text);
                        var m = matches[random.Next(matches.Count)];
                        var swapped = text[..m.Index] + Values[random.Next(Values.Length)] + text[(m.Index + m.Length)..];
                        mutated = swapped[..random.Next(swapped.Length)];
                        break;
                    }
                }
                yield return ($"{name} mutation {i} (kind {kind}, seed {seed})", mutated);
            }
        }
    }

    private static IEnumerable<(string Case, string Text)> Monsters()
    {
        var laughs = new StringBuilder("name: demo\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i < 12; i++)
            laughs.Append($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        yield return ("billion laughs", laughs.ToString());
        yield return ("billion laughs in user_data", laughs + "defaults: { user_data: { runcmd: *a11 } }\n");
        var merges = new StringBuilder("name: demo\nm0: &m0 { k0: v }\n");
        for (var i = 1; i < 30; i++)
            merges.Append($"m{i}: &m{i} {{ <<: [*m{i - 1}], x{i}: *m{i - 1}, y{i}: *m{i - 1} }}\n");
        yield return ("billion merges", merges.ToString());
        yield return ("10k [", "name: demo\nvms: " + new string('[', 10_000) + "\n");
        yield return ("10k [ closed", "name: demo\nvms: " + new string('[', 10_000) + new string(']', 10_000) + "\n");
        yield return ("10k {", "name: demo\nvms: " + string.Concat(Enumerable.Repeat("{a: ", 10_000)) + "\n");
        yield return ("10k block levels", "name: demo\n" + string.Concat(Enumerable.Range(0, 10_000).Select(i => new string(' ', i) + "k:\n")));
        yield return ("100k sequence entries", "name: demo\nvms:\n" + string.Concat(Enumerable.Repeat("  - x\n", 100_000)));
        yield return ("long line", "name: " + new string('a', 1_000_000) + "\n");
        yield return ("long key", new string('k', 100_000) + ": v\n");
        yield return ("long quoted", "name: \"" + new string('"', 1) + new string('x', 1_000_000) + "\"\n");
        yield return ("many VMs", "name: demo\nboxes: { u: u.vhdx }\nnetworks: [{ name: n, type: nat }]\nvms:\n" +
            string.Concat(Enumerable.Range(0, 20).Select(i => $"  - {{ name: vm{i}, box: u, count: 1000, networks: [n] }}\n")));
        yield return ("count 1000 on a /30", "name: demo\nboxes: { u: u.vhdx }\nnetworks: [{ name: n, type: private, subnet: 10.0.0.0/30 }]\nvms: [{ name: a, box: u, count: 1000, networks: [n, n, n] }]\n");
        yield return ("NUL bytes", "name: demo\0\nvms: []\0");
        yield return ("lone surrogates", "name: \"\uD800\"\nvms: [\"\uDFFF\"]\n");
        yield return ("BOM and CRLF", "\uFEFFname: demo\r\nvms: []\r\n");
        yield return ("only BOMs", "\uFEFF\uFEFF\uFEFF");
        yield return ("directives", "%YAML 1.2\n%TAG ! tag:x,2000:\n---\nname: demo\n...\n");
        yield return ("two documents", "name: a\n---\nname: b\n---\n");
        yield return ("complex keys", "? [a, b]\n: c\n? { x: y }\n: z\nname: demo\n");
        yield return ("alias as key", "a: &k name\n*k : demo\n");
        yield return ("self merge", "a: &a { <<: *a }\n");
        yield return ("anchor redefinition", "a: &x 1\nb: &x [2]\nname: *x\n");
        yield return ("ip wrap", "name: demo\nboxes: { u: u.vhdx }\nnetworks: [{ name: n, type: bridged, adapter: e }]\nvms: [{ name: a, box: u, count: 1000, networks: [{ network: n, ip: 255.255.255.250/8 }] }]\n");
        yield return ("NAT prefix /8 full", "name: demo\nnat: { prefix: 10.0.0.0/8 }\nboxes: { u: u.vhdx }\nnetworks: [{ name: n, type: nat }]\nvms: [{ name: a, box: u, networks: [n] }]\n");
        yield return ("NAT prefix /28", "name: demo\nnat: { prefix: 10.0.0.0/28 }\nboxes: { u: u.vhdx }\nnetworks: [{ name: n, type: nat }, { name: m, type: nat }]\nvms: [{ name: a, box: u, count: 20, networks: [n, m] }]\n");
        yield return ("ports to 65535", "name: demo\nboxes: { u: u.vhdx }\nnetworks: [{ name: n, type: nat }]\nvms: [{ name: a, box: u, count: 100, networks: [n], forwarded_ports: [{ guest: 1, host: 65500 }] }]\n");
    }

    [Fact]
    public void The_core_never_throws_on_mutated_Labfiles()
    {
        var cases = 0;
        foreach (var seed in new[] { 1, 2, 3 })
        foreach (var (name, text) in Mutations(seed).Concat(seed == 1 ? Monsters() : []))
        {
            cases++;
            CheckCore(name, text, local: null);
            // The same text as a local override of the example must not throw either.
            CheckCore(name + " as local", Repo.Example, local: text);
        }

        Assert.True(cases > 2000, $"only {cases} cases");
    }

    private static void CheckCore(string name, string text, string? local)
    {
        PlanResult result;
        var watch = Stopwatch.StartNew();
        try
        {
            result = LabfileLoader.LoadAndPlan(new SourceText("Labfile.yml", text), local is null ? null : new SourceText("Labfile.local.yml", local), LabContext.For(HyperVRules.Instance));
        }
        catch (Exception ex)
        {
            Assert.Fail($"{name}: {ex}\n--- input ---\n{Shorten(local ?? text)}");
            return;
        }
        Assert.True(result.HasErrors || result.Plan is not null, $"{name}: no errors and no plan");
        // A hang guard, not a performance goal (those live in bench/): the worst input takes well under a
        // second alone, but CI runs test assemblies side by side on two cores.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"{name}: took {watch.Elapsed}");
        foreach (var d in result.Diagnostics)
        {
            Assert.False(d.Message.Any(char.IsControl), $"{name}: control character in: {d}");
            Assert.True(d.Span.Line >= 1 && d.Span.Column >= 1, $"{name}: bad position in: {d}");
        }
    }

    [Fact]
    public async Task The_CLI_exits_0_1_or_2_and_never_reports_an_internal_error()
    {
        using var project = new TempProject();
        var cases = Mutations(seed: 7).Where((_, i) => i % 4 == 0).Concat(Monsters()).ToList();
        foreach (var (name, text) in cases)
        {
            project.With("Labfile.yml", text);
            foreach (var args in new[] { new[] { "validate" }, ["plan", "--json"], ["plan"] })
            {
                var result = await Lab.RunAsync(project.Root, args);
                Assert.True(result.ExitCode is 0 or 1 or 2, $"{name} ({string.Join(' ', args)}): {Shorten(result.ToString())}\n--- input ---\n{Shorten(text)}");
                Assert.DoesNotContain("internal error", result.Stderr);
                Assert.DoesNotContain("   at ", result.Stderr);
                if (args[^1] == "--json" && result.ExitCode == 0)
                    System.Text.Json.JsonDocument.Parse(result.Stdout).Dispose();
            }
        }

        Assert.True(cases.Count > 200, $"only {cases.Count} cases");
    }

    private static string Shorten(string text) => text.Length > 2000 ? text[..2000] + $"… ({text.Length} characters)" : text;
}
