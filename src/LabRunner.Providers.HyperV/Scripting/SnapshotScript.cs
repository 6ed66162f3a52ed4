using System.Globalization;
using System.Text;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;

namespace LabRunner.Providers.HyperV.Scripting;

/// <summary>
/// The PowerShell of the provider's checkpoint calls (<see cref="HyperVSnapshots"/>): one script per call, one step in
/// the batch scripts' protocol (<see cref="ScriptProtocol"/>: <c>begin 1</c>, <c>ok 1</c> or <c>fail 1 …</c>), plus one
/// <c>##labrunner snapshot</c> line per checkpoint it reports. Pure and deterministic, like <see cref="HyperVScript"/>:
/// every value is a single-quoted literal, Hyper-V cmdlets are module-qualified, parameters are those of the Windows
/// Server 2022 reference (Checkpoint-VM, Get-VMSnapshot, Restore-VMSnapshot, Remove-VMSnapshot, Suspend-VM, Resume-VM,
/// Set-VM -CheckpointType).
/// </summary>
/// <remarks>
/// A checkpoint is named by the user, and Remove-VMSnapshot -Name takes a wildcard pattern (its own example removes
/// <c>Experiment*</c>): a checkpoint is therefore never named to a cmdlet. It is found among Get-VMSnapshot's objects by
/// exact name (<c>-eq</c>, case-insensitive as Hyper-V's names) and piped into Restore-VMSnapshot and
/// Remove-VMSnapshot. VM names with wildcard characters are refused, as in the batch scripts.
/// </remarks>
public static class SnapshotScript
{
    /// <summary>The line that reports one checkpoint: <c>##labrunner snapshot NAME-B64 CREATED-UTC-ISO STATE TYPE SIZE</c>.</summary>
    public const string SnapshotLinePrefix = ScriptProtocol.Prefix + " snapshot ";

    private const string HyperV = "Hyper-V\\";

    /// <summary>Every checkpoint of the VM; nothing for a VM the host does not have.</summary>
    public static string List(string vmName)
    {
        Name(vmName);
        return Script($"list the checkpoints of VM '{vmName}'",
            "$labrunnerVm = @(" + new CommandText(HyperV + "Get-VM").Stop() + " | Where-Object { $_.Name -eq " + Q(vmName) + " })",
            "if ($labrunnerVm.Count -gt 0) {",
            "    foreach ($labrunnerSnapshot in @(" + Get(vmName) + ")) {",
            "        " + Report("$labrunnerSnapshot"),
            "    }",
            "}");
    }

    /// <summary>The line that says whose checkpoints follow in a <see cref="ListMany"/>: <c>##labrunner snapshots-of VM-NAME-B64</c>.</summary>
    public const string VmLinePrefix = ScriptProtocol.Prefix + " snapshots-of ";

    /// <summary>Every checkpoint of each VM, each VM's preceded by its <see cref="VmLinePrefix"/> line; nothing for a VM the host does not have.</summary>
    public static string ListMany(IReadOnlyCollection<string> vmNames)
    {
        ArgumentNullException.ThrowIfNull(vmNames);
        var body = new List<string> { "$labrunnerVms = @(" + new CommandText(HyperV + "Get-VM").Stop() + ")" };
        foreach (var vmName in vmNames)
        {
            Name(vmName);
            body.Add("if (@($labrunnerVms | Where-Object { $_.Name -eq " + Q(vmName) + " }).Count -gt 0) {");
            body.Add("    " + Q(VmLinePrefix + Convert.ToBase64String(Encoding.UTF8.GetBytes(vmName))));
            body.Add("    foreach ($labrunnerSnapshot in @(" + Get(vmName) + ")) {");
            body.Add("        " + Report("$labrunnerSnapshot"));
            body.Add("    }");
            body.Add("}");
        }
        return Script($"list the checkpoints of {vmNames.Count} VMs", [.. body]);
    }

    /// <summary>The VM a <see cref="VmLinePrefix"/> line names; null for any other line.</summary>
    public static string? ParseVmLine(string? line)
    {
        if (line is null || !line.StartsWith(VmLinePrefix, StringComparison.Ordinal)) return null;
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(line[VmLinePrefix.Length..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// The VM's checkpoint type set to <paramref name="type"/>, then a checkpoint named <paramref name="snapshotName"/>,
    /// reported. A production checkpoint needs the guest to freeze its file systems, which a paused guest cannot: a
    /// paused VM runs for the checkpoint and is paused again (otherwise Hyper-V would fall back to a standard checkpoint,
    /// or fail a production-only one).
    /// </summary>
    public static string Save(string vmName, string snapshotName, SnapshotType type)
    {
        Name(vmName);
        ArgumentException.ThrowIfNullOrEmpty(snapshotName);
        var production = type != SnapshotType.Standard;
        return Script($"checkpoint '{snapshotName}' of VM '{vmName}'", [
            SetCheckpointType(vmName, type),
            "if (@(" + Get(vmName) + " | Where-Object { $_.Name -eq " + Q(snapshotName) + " }).Count -gt 0) { "
                + Throw($"VM '{vmName}' already has a checkpoint named '{snapshotName}'.", "LabRunnerSnapshotExists", "ResourceExists") + " }",
            .. production
                ? (string[])["$labrunnerPaused = [string](" + new CommandText(HyperV + "Get-VM").String("Name", vmName).Stop() + ").State -eq 'Paused'",
                    "if ($labrunnerPaused) { " + new CommandText(HyperV + "Resume-VM").String("Name", vmName).Stop() + " }"]
                : [],
            new CommandText(HyperV + "Checkpoint-VM").String("Name", vmName).String("SnapshotName", snapshotName).Stop(),
            .. production ? (string[])["if ($labrunnerPaused) { " + new CommandText(HyperV + "Suspend-VM").String("Name", vmName).Stop() + " }"] : [],
            "foreach ($labrunnerSnapshot in @(" + Get(vmName) + " | Where-Object { $_.Name -eq " + Q(snapshotName) + " })) {",
            "    " + Report("$labrunnerSnapshot"),
            "}",
        ]);
    }

    /// <summary>
    /// Back to the checkpoint: a running or paused VM is turned off first (Hyper-V applies a checkpoint only to a VM
    /// that is off or saved, and its current state is being replaced anyway); one that comes back saved (the
    /// checkpoint kept its memory) is started, so it runs where it was.
    /// </summary>
    public static string Restore(string vmName, string snapshotName)
    {
        Name(vmName);
        return Script($"restore checkpoint '{snapshotName}' of VM '{vmName}'", [
            .. Find(vmName, snapshotName),
            "$labrunnerVm = " + new CommandText(HyperV + "Get-VM").String("Name", vmName).Stop(),
            "if (@('Running', 'Paused') -contains [string]$labrunnerVm.State) { "
                + new CommandText(HyperV + "Stop-VM").String("Name", vmName).Switch("TurnOff").Switch("Force").Stop() + " }",
            "$labrunnerSnapshots[0] | " + new CommandText(HyperV + "Restore-VMSnapshot").SwitchOff("Confirm").Stop(),
            "if ([string](" + new CommandText(HyperV + "Get-VM").String("Name", vmName).Stop() + ").State -eq 'Saved') { "
                + new CommandText(HyperV + "Start-VM").String("Name", vmName).Stop() + " }",
        ]);
    }

    /// <summary>The checkpoint goes; Hyper-V merges its differencing disk.</summary>
    public static string Delete(string vmName, string snapshotName)
    {
        Name(vmName);
        return Script($"delete checkpoint '{snapshotName}' of VM '{vmName}'", [
            .. Find(vmName, snapshotName),
            "$labrunnerSnapshots[0] | " + new CommandText(HyperV + "Remove-VMSnapshot").SwitchOff("Confirm").Stop(),
        ]);
    }

    /// <summary>Suspend-VM: a running VM's processors stop, its memory stays.</summary>
    public static string Pause(string vmName)
    {
        Name(vmName);
        return Script($"pause VM '{vmName}'", new CommandText(HyperV + "Suspend-VM").String("Name", vmName).Stop());
    }

    /// <summary>Resume-VM of a paused VM; any other is left as it is.</summary>
    public static string Resume(string vmName)
    {
        Name(vmName);
        return Script($"resume VM '{vmName}'",
            "if ([string](" + new CommandText(HyperV + "Get-VM").String("Name", vmName).Stop() + ").State -eq 'Paused') { "
                + new CommandText(HyperV + "Resume-VM").String("Name", vmName).Stop() + " }");
    }

    /// <summary>Set-VM -CheckpointType: the Labfile's <c>snapshot_type</c> in Hyper-V's words.</summary>
    public static string SetCheckpointType(string vmName, SnapshotType type) =>
        new CommandText(HyperV + "Set-VM").String("Name", vmName).String("CheckpointType", CheckpointTypeName(type)).Stop();

    /// <summary>Hyper-V's CheckpointType value for a <see cref="SnapshotType"/>.</summary>
    public static string CheckpointTypeName(SnapshotType type) => type switch
    {
        SnapshotType.Production => "Production",
        SnapshotType.ProductionOnly => "ProductionOnly",
        _ => "Standard",
    };

    /// <summary>Reads a <c>##labrunner snapshot</c> line; null for any other line or a malformed one.</summary>
    public static VmSnapshot? ParseSnapshotLine(string? line)
    {
        if (line is null || !line.StartsWith(SnapshotLinePrefix, StringComparison.Ordinal)) return null;
        var parts = line[SnapshotLinePrefix.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 5) return null;
        string name;
        try
        {
            name = Encoding.UTF8.GetString(Convert.FromBase64String(parts[0]));
        }
        catch (FormatException)
        {
            return null;
        }
        if (!DateTimeOffset.TryParse(parts[1], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created)) return null;
        var type = parts[3];
        // The checkpoint's State is the VM's when it was taken: a standard checkpoint of a VM that was not off kept its memory.
        var withMemory = type.Equals("Standard", StringComparison.OrdinalIgnoreCase) && !parts[2].Equals("Off", StringComparison.OrdinalIgnoreCase);
        long? size = long.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) && bytes > 0 ? bytes : null;
        return new VmSnapshot(name, created.ToUniversalTime(), withMemory, type.ToLowerInvariant() + " checkpoint", size);
    }

    /// <summary>The one checkpoint of that name into <c>$labrunnerSnapshots</c>: none is ObjectNotFound, two (Hyper-V allows it) are refused.</summary>
    private static string[] Find(string vmName, string snapshotName) =>
    [
        "$labrunnerSnapshots = @(" + Get(vmName) + " | Where-Object { $_.Name -eq " + Q(snapshotName) + " })",
        "if ($labrunnerSnapshots.Count -eq 0) { " + Throw($"VM '{vmName}' has no checkpoint named '{snapshotName}'.", "LabRunnerSnapshotNotFound", "ObjectNotFound") + " }",
        "if ($labrunnerSnapshots.Count -gt 1) { "
            + Throw($"VM '{vmName}' has more than one checkpoint named '{snapshotName}'; rename or delete one in Hyper-V Manager.", "LabRunnerSnapshotAmbiguous", "InvalidOperation") + " }",
    ];

    private static string Get(string vmName) => new CommandText(HyperV + "Get-VMSnapshot").String("VMName", vmName).Stop();

    /// <summary>One snapshot line for the VMSnapshot in <paramref name="variable"/>: the name in base64, everything else has no spaces.</summary>
    private static string Report(string variable) =>
        Q(SnapshotLinePrefix) + " + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]" + variable + ".Name))"
        + " + ' ' + " + variable + ".CreationTime.ToUniversalTime().ToString('o', [Globalization.CultureInfo]::InvariantCulture)"
        + " + ' ' + [string]" + variable + ".State + ' ' + [string]" + variable + ".SnapshotType + ' ' + [string]" + variable + ".SizeOfSystemFiles";

    /// <summary>A real ErrorRecord, so the trap reports the category and an id of LabRunner's own.</summary>
    private static string Throw(string message, string errorId, string category) =>
        "throw [System.Management.Automation.ErrorRecord]::new([System.InvalidOperationException]::new(" + Q(message) + "), "
            + Q(errorId) + ", [System.Management.Automation.ErrorCategory]::" + category + ", $null)";

    private static string Script(string what, params string[] body)
    {
        var sb = new StringBuilder();
        sb.Append("# LabRunner: ").Append(OneLine(what)).Append('\n');
        sb.Append("# Every value is a single-quoted literal: nothing in it runs. Progress and checkpoints go to stdout as '##labrunner' lines.\n");
        sb.Append("$ErrorActionPreference = ").Append(Q("Stop")).Append('\n');
        sb.Append("$ProgressPreference = ").Append(Q("SilentlyContinue")).Append('\n');
        sb.Append("Set-StrictMode -Version ").Append(Q("3.0")).Append('\n');
        sb.Append("$labrunnerStep = 1\n");
        sb.Append("trap {\n");
        sb.Append("    $labrunnerError = $_\n");
        sb.Append("    $labrunnerId = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$labrunnerError.FullyQualifiedErrorId))\n");
        sb.Append("    $labrunnerMessage = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$labrunnerError.Exception.Message))\n");
        sb.Append("    ").Append(Q(ScriptProtocol.Prefix + " fail ")).Append(" + $labrunnerStep + ' ' + $labrunnerError.CategoryInfo.Category + ' ' + $labrunnerId + ' ' + $labrunnerMessage\n");
        sb.Append("    exit 1\n");
        sb.Append("}\n");
        sb.Append(Q(ScriptProtocol.BeginLine(1))).Append('\n');
        foreach (var line in body) sb.Append(line).Append('\n');
        sb.Append(Q(ScriptProtocol.OkLine(1))).Append('\n');
        sb.Append("exit 0\n");
        return sb.ToString();
    }

    private static string Q(string value) => PowerShellLiteral.Quote(value);

    /// <summary>A comment cannot be ended by a value: anything PowerShell or an editor reads as a line end becomes a space.</summary>
    private static string OneLine(string text)
    {
        var clean = new StringBuilder(text.Length);
        foreach (var c in text) clean.Append(char.IsControl(c) || c is '\u0085' or '\u2028' or '\u2029' ? ' ' : c);
        return clean.ToString();
    }

    /// <summary>A VM name that cannot match more than itself (Get-VM -Name and the others take patterns).</summary>
    private static void Name(string vmName)
    {
        if (string.IsNullOrEmpty(vmName)) throw new ArgumentException("The VM name is empty.", nameof(vmName));
        if (vmName.IndexOfAny(Names.WildcardCharacters) >= 0)
            throw new ArgumentException(
                $"The VM name '{vmName}' contains a wildcard character (* ? [ ] `); Hyper-V cmdlets would read it as a pattern that can match other VMs.", nameof(vmName));
    }
}
