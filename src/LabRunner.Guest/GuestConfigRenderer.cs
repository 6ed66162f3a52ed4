using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Guest.CloudInit;
using LabRunner.Guest.Ssh;
using LabRunner.Guest.Templates;
using LabRunner.Guest.Windows;
using Scriban.Runtime;

namespace LabRunner.Guest;

/// <summary>
/// Renders everything a guest receives at first boot from its plan: the cloud-init NoCloud files
/// (<c>meta-data</c>, <c>user-data</c>, <c>network-config</c>) for Linux, the answer file for Windows.
/// Templates come from the project first (<c>&lt;project&gt;/templates/…</c>) and fall back to the
/// defaults in the binary; parsed templates are cached, so one instance should serve a whole lab.
/// Pure and thread-safe: the same inputs always give the same bytes.
/// </summary>
public sealed partial class GuestConfigRenderer
{
    public const string MetaDataFile = "meta-data";
    public const string UserDataFile = "user-data";
    public const string NetworkConfigFile = "network-config";
    public const string UnattendFile = "unattend.xml";
    public const string AutounattendFile = "Autounattend.xml";

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly ITemplateSource? _project;
    private readonly ITemplateSource _defaults;
    private readonly TemplateEngine _engine = new();

    /// <param name="project">The project's own templates, or null to use only the defaults.</param>
    /// <param name="defaults">Where to fall back; the templates compiled into this assembly unless given.</param>
    public GuestConfigRenderer(ITemplateSource? project = null, ITemplateSource? defaults = null)
    {
        _project = project;
        _defaults = defaults ?? EmbeddedTemplateSource.Instance;
    }

    /// <summary>
    /// Renders the seed files of <paramref name="vm"/>. Template and user_data problems come back as
    /// diagnostics (and then no files); a missing Windows password or a malformed SSH key is the
    /// caller's bug and throws.
    /// </summary>
    public GuestRenderResult Render(string lab, VmPlan vm, GuestSecrets secrets)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(secrets);
        // The key lands in YAML, XML and a PowerShell command line; only a plain OpenSSH line is safe in all three.
        if (!SshKeys.IsPublicKeyLine(secrets.SshPublicKey))
            throw new ArgumentException("SshPublicKey must be one OpenSSH public key line such as 'ecdsa-sha2-nistp256 AAAA… labrunner@lab'.", nameof(secrets));

        var diagnostics = new List<Diagnostic>();
        var files = vm.Os == GuestOs.Windows
            ? RenderWindows(lab, vm, secrets, diagnostics)
            : RenderLinux(lab, vm, secrets, diagnostics);
        var hasErrors = diagnostics.Any(d => d.IsError);
        return new GuestRenderResult(hasErrors ? [] : files, [.. diagnostics]);
    }

    private ImmutableArray<GuestFile> RenderLinux(string lab, VmPlan vm, GuestSecrets secrets, List<Diagnostic> diagnostics)
    {
        var secretObject = new ScriptObject
        {
            ["ssh_public_key"] = secrets.SshPublicKey,
            ["ssh_host_key_private"] = secrets.SshHostKey?.PrivateKeyPem,
            ["ssh_host_key_public"] = secrets.SshHostKey?.PublicKey,
        };
        var userTemplate = Find(TemplateNames.UserData);
        var (userData, userBootcmd) = SplitUserData(vm.UserData, userTemplate);
        var smb = SmbMounts(vm, secrets, secretObject, userTemplate, userBootcmd.Length > 0, ref userData);
        var files = ImmutableArray.CreateBuilder<GuestFile>(3);

        var networkTemplate = Find(TemplateNames.NetworkConfig);
        var networkConfig = Render(networkTemplate, TemplateModel.Create(lab, vm, secretObject, userData, instanceId: null), secrets, diagnostics);
        if (networkConfig is null) return [];
        CheckYaml(networkTemplate, networkConfig, "network-config", diagnostics);

        // cloud-init applies network-config only for a new instance; a new id is how a changed plan reaches a VM.
        var model = TemplateModel.Create(lab, vm, secretObject, userData, InstanceId(vm, networkConfig), userBootcmd, smb: smb);

        var metaTemplate = Find(TemplateNames.MetaData);
        var metaData = Render(metaTemplate, model, secrets, diagnostics);
        if (metaData is not null) CheckYaml(metaTemplate, metaData, "meta-data", diagnostics);

        var userDataText = Render(userTemplate, model, secrets, diagnostics);
        if (userDataText is not null && ModuleLists(userTemplate, userDataText) is { } modules)
            userDataText = Render(userTemplate, TemplateModel.Create(lab, vm, secretObject, userData, InstanceId(vm, networkConfig), userBootcmd, modules, smb), secrets, diagnostics);
        if (userDataText is not null) CheckUserData(userTemplate, userDataText, vm, diagnostics);

        if (metaData is null || userDataText is null) return [];
        files.Add(new GuestFile(MetaDataFile, Utf8.GetBytes(metaData)));
        files.Add(new GuestFile(UserDataFile, Utf8.GetBytes(userDataText)));
        files.Add(new GuestFile(NetworkConfigFile, Utf8.GetBytes(networkConfig)));
        return files.MoveToImmutable();
    }

    private ImmutableArray<GuestFile> RenderWindows(string lab, VmPlan vm, GuestSecrets secrets, List<Diagnostic> diagnostics)
    {
        if (secrets.AdminPassword is not { Length: > 0 } password)
            throw new ArgumentException($"VM '{vm.Name}' runs Windows and needs an administrator password in GuestSecrets.", nameof(secrets));
        if (vm.UserData is { } userData)
            diagnostics.Add(DiagnosticBuilder.UserDataIgnored(userData.Span, vm.Name));

        var secretObject = new ScriptObject
        {
            ["ssh_public_key"] = secrets.SshPublicKey,
            ["administrator_password_encoded"] = UnattendPassword.Encode(password, UnattendPassword.AdministratorPassword),
            ["password_encoded"] = UnattendPassword.Encode(password, UnattendPassword.Password),
        };
        var model = TemplateModel.Create(lab, vm, secretObject, "", instanceId: null);

        var template = Find(TemplateNames.Unattend);
        var xml = Render(template, model, secrets, diagnostics);
        if (xml is null) return [];
        if (!OutputCheck.IsWellFormedXml(xml, out var error))
        {
            diagnostics.Add(DiagnosticBuilder.TemplateOutputInvalid(SourceSpan.None(template.DisplayPath), "XML", Scrub(error!, secrets)));
            return [];
        }
        // A generalized box reads the answer file for its specialize and oobeSystem passes from the root of
        // removable media (the seed ISO), where those passes look for Unattend.xml; Windows Setup booted from
        // install media looks for Autounattend.xml (windowsPE pass). cloudbase-init users also expect
        // unattend.xml. Same content under both names, so the seed serves all three.
        var bytes = Utf8.GetBytes(xml);
        return [new GuestFile(UnattendFile, bytes), new GuestFile(AutounattendFile, bytes)];
    }

    /// <summary>
    /// The user-data template writes <c>bootcmd</c> itself (the DNS fallback) and appends the Labfile's
    /// bootcmd items through <c>user_bootcmd</c>, so the user's list is taken out of <c>user_data</c>. A
    /// project's template that does not mention <c>user_bootcmd</c> (written before it existed) gets
    /// <c>user_data</c> whole, as it always did, so no bootcmd is lost silently.
    /// </summary>
    private static (string UserData, string UserBootcmd) SplitUserData(YamlMapping? userData, TemplateText template)
    {
        if (userData is null) return ("", "");
        var bootcmd = userData.Entries.FirstOrDefault(e => e.Key.Value == "bootcmd");
        if (bootcmd is not { Value: YamlSequence { Items.IsEmpty: false } }
            || !template.Text.Contains("user_bootcmd", StringComparison.Ordinal))
            return (YamlText.EmitMappingEntries(userData), "");
        var rest = userData with { Entries = userData.Entries.Remove(bootcmd) };
        // Emitted as a mapping of its own, "bootcmd:\n  - …", and kept without the key line.
        var items = YamlText.EmitMappingEntries(new YamlMapping(userData.Span, [bootcmd]));
        return (YamlText.EmitMappingEntries(rest), items[(items.IndexOf('\n', StringComparison.Ordinal) + 1)..]);
    }

    /// <summary>
    /// The module lists for user-data first rendered without them, as YAML for the template's <c>cloud_modules</c>;
    /// null when the template does not write them (a project's template from before), the user-data is not
    /// cloud-config, or a key keeps cloud-init's defaults (<see cref="CloudInitModules.Derive"/>).
    /// </summary>
    private static string? ModuleLists(TemplateText template, string userData)
    {
        if (!template.Text.Contains("cloud_modules", StringComparison.Ordinal)
            || !userData.StartsWith("#cloud-config", StringComparison.Ordinal)) return null;
        var keys = OutputCheck.TopLevelYamlKeys(userData, out _);
        return keys is null ? null : CloudInitModules.Derive(keys, userData)?.ToYaml();
    }

    private TemplateText Find(string relativePath) =>
        _project?.Find(relativePath) ?? _defaults.Find(relativePath)
        ?? throw new InvalidOperationException($"no template '{relativePath}' in the project or the built-in defaults");

    private string? Render(TemplateText template, ScriptObject model, GuestSecrets secrets, List<Diagnostic> diagnostics) =>
        _engine.Render(template, model, message => Scrub(message, secrets), diagnostics);

    /// <summary>
    /// The instance-id cloud-init compares at every boot: <c>iid-&lt;vm&gt;-&lt;8 hex&gt;</c>, a hash of the
    /// rendered network-config and the hostname. The same plan gives the same id (nothing re-runs);
    /// a changed address, MAC, route, DNS or hostname gives a new one, and cloud-init applies it.
    /// </summary>
    internal static string InstanceId(VmPlan vm, string networkConfig)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"labrunner-iid-v1\n{vm.Hostname}\n{networkConfig}"));
        return $"iid-{vm.Name.ToLowerInvariant()}-{Convert.ToHexStringLower(hash, 0, 4)}";
    }

    private static void CheckYaml(TemplateText template, string output, string what, List<Diagnostic> diagnostics)
    {
        var keys = OutputCheck.TopLevelYamlKeys(output, out var error);
        if (keys is null)
        {
            diagnostics.Add(DiagnosticBuilder.TemplateOutputInvalid(SourceSpan.None(template.DisplayPath), $"{what} YAML", error!));
            return;
        }
        foreach (var twice in keys.GroupBy(k => k, StringComparer.Ordinal).Where(g => g.Count() > 1))
            diagnostics.Add(DiagnosticBuilder.TemplateOutputInvalid(SourceSpan.None(template.DisplayPath), $"{what} YAML",
                $"key '{twice.Key}' appears {twice.Count()} times at the top level"));
    }

    /// <summary>
    /// The merge rule for <c>user_data</c>: the Labfile's keys are added after the template's own. A key
    /// the template already writes (hostname, users, …) is an error at the user_data key: those keys
    /// carry what LabRunner relies on (the login user and the lab key), and cloud-init's YAML reader would
    /// silently keep only the last of two equal keys. Lists such as <c>packages</c> and <c>runcmd</c> are
    /// used as given. To change a generated key, override the template.
    /// </summary>
    private static void CheckUserData(TemplateText template, string output, VmPlan vm, List<Diagnostic> diagnostics)
    {
        // A project template may render a shell script or MIME parts instead; only cloud-config is YAML.
        if (!output.StartsWith("#cloud-config", StringComparison.Ordinal)) return;
        var keys = OutputCheck.TopLevelYamlKeys(output, out var error);
        if (keys is null)
        {
            diagnostics.Add(DiagnosticBuilder.TemplateOutputInvalid(SourceSpan.None(template.DisplayPath), "user-data YAML", error!));
            return;
        }
        var userKeys = vm.UserData?.Entries.ToDictionary(e => e.Key.Value, e => e.Key, StringComparer.Ordinal)
            ?? new Dictionary<string, YamlScalar>(StringComparer.Ordinal);
        foreach (var twice in keys.GroupBy(k => k, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            if (userKeys.TryGetValue(twice.Key, out var userKey))
                diagnostics.Add(DiagnosticBuilder.UserDataKeyTaken(userKey.Span, twice.Key, template.DisplayPath, HintFor(twice.Key)));
            else
                diagnostics.Add(DiagnosticBuilder.TemplateOutputInvalid(SourceSpan.None(template.DisplayPath), "user-data YAML",
                    $"key '{twice.Key}' appears {twice.Count()} times at the top level"));
        }
    }

    private static string HintFor(string key) => key switch
    {
        "hostname" or "fqdn" or "preserve_hostname" or "prefer_fqdn_over_hostname" => "set 'hostname' on the VM instead",
        "users" or "user" => $"set 'user' on the VM; for more accounts, override templates/{TemplateNames.UserData}",
        _ => $"remove it from user_data, or override templates/{TemplateNames.UserData} to change what LabRunner writes",
    };

    /// <summary>Template errors can quote values; the passwords and their encodings never reach a diagnostic.</summary>
    private static string Scrub(string message, GuestSecrets secrets)
    {
        if (secrets.Smb is { Password.Length: > 0 } smb) message = message.Replace(smb.Password, "***", StringComparison.Ordinal);
        if (secrets.AdminPassword is not { Length: > 0 } password) return message;
        foreach (var secret in new[]
                 {
                     UnattendPassword.Encode(password, UnattendPassword.AdministratorPassword),
                     UnattendPassword.Encode(password, UnattendPassword.Password),
                     password,
                 })
            message = message.Replace(secret, "***", StringComparison.Ordinal);
        return message;
    }
}
