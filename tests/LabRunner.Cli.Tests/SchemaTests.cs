using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Labfile;
using LabRunner.Providers.HyperV;
using Newtonsoft.Json.Linq;
using NJsonSchema;

namespace LabRunner.Cli.Tests;

/// <summary>
/// Keeps schema/labfile.schema.json (what editors use through the yaml-language-server line at the top
/// of a Labfile) honest: it names exactly the keys the binder reads, in the same places, and every valid
/// Labfile the tests use validates against it.
/// </summary>
public partial class SchemaTests
{
    private static readonly string SchemaPath = Path.Combine(Repo.Root(), "schema", "labfile.schema.json");

    /// <summary>Where each of the binder's key lists lives in the schema.</summary>
    private static readonly Dictionary<string, string> Places = new(StringComparer.Ordinal)
    {
        ["TopKeys"] = "$",
        ["NatKeys"] = "$.definitions.nat",
        ["DefaultsKeys"] = "$.definitions.defaults",
        ["BoxKeys"] = "$.definitions.box.oneOf[1]",
        ["NetworkKeys"] = "$.definitions.network",
        ["VmKeys"] = "$.definitions.vm",
        ["AdapterKeys"] = "$.definitions.attachment.oneOf[1]",
        ["PortKeys"] = "$.definitions.forwardedPort",
        ["ProvisionerKeys"] = "$.definitions.provisioner",
        ["ShellKeys"] = "$.definitions.shellProvisioner",
        ["FileKeys"] = "$.definitions.fileProvisioner",
        ["SyncedFolderKeys"] = "$.definitions.syncedFolder",
    };

    private static JObject SchemaJson => JObject.Parse(File.ReadAllText(SchemaPath));

    private static Dictionary<string, string[]> BinderKeyLists()
    {
        var binder = typeof(LabfileLoader).Assembly.GetType("LabRunner.Core.Labfile.Binder", throwOnError: true)!;
        return binder.GetFields(BindingFlags.NonPublic | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(string[]) && f.Name.EndsWith("Keys", StringComparison.Ordinal))
            .ToDictionary(f => f.Name, f => (string[])f.GetValue(null)!);
    }

    [Fact]
    public void Every_key_list_of_the_binder_has_a_place_in_the_schema()
    {
        var lists = BinderKeyLists();

        Assert.Equal(Places.Keys.Order(StringComparer.Ordinal), lists.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_schema_has_exactly_the_binders_keys_in_each_place_and_refuses_others()
    {
        var schema = SchemaJson;
        foreach (var (list, keys) in BinderKeyLists())
        {
            var node = (JObject)schema.SelectToken(Places[list])!;
            var properties = ((JObject)node["properties"]!).Properties().Select(p => p.Name);

            Assert.Equal(keys.Order(StringComparer.Ordinal), properties.Order(StringComparer.Ordinal));
            Assert.False(node.Value<bool?>("additionalProperties") ?? true, $"{Places[list]} must refuse unknown keys, as the binder does (LAB002)");
        }
    }

    [Fact]
    public void Every_property_in_the_schema_has_a_description()
    {
        var schema = SchemaJson;
        var definitions = (JObject)schema["definitions"]!;
        foreach (var property in schema.SelectTokens("$..properties").OfType<JObject>().SelectMany(p => p.Properties()))
        {
            var value = (JObject)property.Value;
            var described = value["description"] is not null
                || (value["$ref"]?.Value<string>() is { } reference && definitions[reference.Split('/')[^1]]?["description"] is not null);
            Assert.True(described, $"{property.Path} has no description");
        }
    }

    public static TheoryData<string> ValidLabfiles()
    {
        var data = new TheoryData<string>();
        foreach (var name in Repo.ValidLabfileNames) data.Add(name);
        data.Add("Labfile.example.yml");
        return data;
    }

    [Theory]
    [MemberData(nameof(ValidLabfiles))]
    public async Task A_valid_Labfile_validates_against_the_schema(string name)
    {
        var text = name == "Labfile.example.yml" ? Repo.Example : Repo.Labfile(name);
        var core = LabfileLoader.Load(new SourceText(name, text), null, Core.Planning.LabContext.For(HyperVRules.Instance) with { BoxesOnDisk = ["ubuntu"] });
        Assert.False(core.HasErrors, string.Join("\n", core.Diagnostics));

        var errors = await ValidateAsync(text);

        Assert.True(errors.Count == 0, $"{name}:\n" + string.Join("\n", errors));
    }

    [Theory]
    [InlineData("colour: blue", "colour")]
    [InlineData("nat: { prefx: 10.0.0.0/16 }", "prefx")]
    [InlineData("networks: [{ name: lan, type: bridge }]", "type")]
    [InlineData("networks: [{ name: lan, type: private, subnet: 10.10.0.0/33 }]", "subnet")]
    [InlineData("networks: [{ name: lan, type: nat, gateway: 010.0.0.1 }]", "gateway")]
    [InlineData("networks: [{ type: nat }]", "name")]
    [InlineData("vms: [{ name: web, cpus: 0 }]", "cpus")]
    [InlineData("vms: [{ name: web, memory: 2XB }]", "memory")]
    [InlineData("vms: [{ name: web, generation: 3 }]", "generation")]
    [InlineData("vms: [{ name: web, networks: [{ network: lan, mac: 02-15-5D-00-00 }] }]", "mac")]
    [InlineData("vms: [{ name: web, networks: [{ ip: 10.0.0.5 }] }]", "network")]
    [InlineData("vms: [{ name: web, forwarded_ports: [{ guest: 80, host: 70000 }] }]", "host")]
    [InlineData("vms: [{ name: web, forwarded_ports: [{ guest: 80 }] }]", "host")]
    [InlineData("vms: [{ name: \"web;reboot\" }]", "name")]
    [InlineData("defaults: { user: root }", "user")]
    [InlineData("boxes: { ubuntu: { os: linux } }", "path")]
    [InlineData("boxes: { debian: { url: ftp://example.org/d.box } }", "url")]
    [InlineData("boxes: { debian: { url: https://example.org/d.box, checksum: sha256:abc } }", "checksum")]
    [InlineData("boxes: { debian: { path: d.vhdx, url: https://example.org/d.box } }", "debian")]
    [InlineData("boxes: { debian: { version: \"1.0\", checksum: sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa } }", "debian")]
    [InlineData("vms: [{ name: web, box: \"debian 12\" }]", "box")]
    [InlineData("vms: [{ name: web, synced_folders: [{ host: . }] }]", "guest")]
    [InlineData("vms: [{ name: web, synced_folders: [{ host: ., guest: /srv, type: nfs }] }]", "type")]
    [InlineData("vms: [{ name: web, synced_folders: [{ host: ., guest: /srv, owner: Www }] }]", "owner")]
    [InlineData("defaults: { synced_folders: [{ host: ., guest: /srv, exclude: [{ a: 1 }] }] }", "exclude")]
    public async Task The_schema_refuses_what_the_binder_refuses(string line, string key)
    {
        var text = "name: demo\n" + line + "\n";
        var core = LabfileLoader.Load(new SourceText("Labfile.yml", text), null, Core.Planning.LabContext.For(HyperVRules.Instance));
        Assert.True(core.HasErrors, "test bug: the binder accepts this");

        var errors = await ValidateAsync(text);

        Assert.NotEmpty(errors);
        Assert.Contains(errors, e => e.Contains(key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_schema_accepts_a_VMs_box_named_as_the_box_store_names_it()
    {
        var text = "name: demo\ndefaults: { box: acme/debian-12 }\nvms: [{ name: web, box: debian-12 }]\n";

        var errors = await ValidateAsync(text);

        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    private static async Task<List<string>> ValidateAsync(string yaml)
    {
        var schema = await JsonSchema.FromFileAsync(SchemaPath);
        var diagnostics = new List<Diagnostic>();
        var root = YamlReader.Read("Labfile.yml", yaml, diagnostics);
        Assert.Empty(diagnostics);
        return [.. schema.Validate(ToJson(root!)).SelectMany(Flatten).Select(e => $"{e.Path}: {e.Kind} ({e.Property})")];

        static IEnumerable<NJsonSchema.Validation.ValidationError> Flatten(NJsonSchema.Validation.ValidationError e) =>
            e is NJsonSchema.Validation.ChildSchemaValidationError child
                ? child.Errors.SelectMany(x => x.Value).SelectMany(Flatten).Prepend(e)
                : [e];
    }

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();

    /// <summary>YAML to JSON as an editor's YAML 1.2 language server sees it: plain scalars are typed by the core schema, quoted ones are strings.</summary>
    private static JToken ToJson(YamlNode node) => node switch
    {
        YamlMapping m => new JObject(m.Entries.Select(e => new JProperty(e.Key.Value, ToJson(e.Value)))),
        YamlSequence s => new JArray(s.Items.Select(ToJson)),
        YamlScalar { IsNull: true } => JValue.CreateNull(),
        YamlScalar { IsPlain: true, Value: "true" or "True" or "TRUE" } => new JValue(true),
        YamlScalar { IsPlain: true, Value: "false" or "False" or "FALSE" } => new JValue(false),
        YamlScalar { IsPlain: true } s when Integer().IsMatch(s.Value) && long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => new JValue(l),
        YamlScalar { IsPlain: true } s when Float().IsMatch(s.Value) => new JValue(double.Parse(s.Value, CultureInfo.InvariantCulture)),
        YamlScalar s => new JValue(s.Value),
        _ => throw new ArgumentOutOfRangeException(nameof(node)),
    };
}
