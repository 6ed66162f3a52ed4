using System.Globalization;
using System.Text;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;

namespace LabRunner.Providers.HyperV.Scripting;

/// <summary>
/// Renders an <see cref="OperationBatch"/> as the complete text of one PowerShell script: pure and
/// deterministic, no IO. The same text runs on the host and is what <c>lab up --what-if</c> shows.
/// </summary>
/// <remarks>
/// <para>Each operation is a block: a comment with its <see cref="HostOperation.Describe"/> text, a
/// <c>begin</c> line, the cmdlet calls (parameters as in the Windows Server 2022 cmdlet reference),
/// and an <c>ok</c> line (see <see cref="ScriptProtocol"/>). Each VM's operations (consecutive in the
/// batch) are one <c>try</c>/<c>catch</c> segment: an error becomes a <c>fail</c> line and skips the rest
/// of that VM's segment, and the script goes on with the next VM. Host networking operations are not in
/// a segment: a script-level <c>trap</c> turns their error into a <c>fail</c> line and exit code 1, so
/// the batch stops there, as everything after it depends on the network. Protocol lines are plain
/// string statements (pipeline output is stdout under <c>-File</c>), so the script needs no cmdlet
/// beyond the host ones, Where-Object, Set-StrictMode, Test-Path and Remove-Item.</para>
/// <para>Hyper-V cmdlets are module-qualified (<c>Hyper-V\New-VM</c>) because VMware PowerCLI exports
/// commands with the same names (Get-VM, New-VM, Start-VM, ...) and whichever module loaded last
/// would otherwise win.</para>
/// <para>Hyper-V and NetNat cmdlets match object names as wildcard patterns (Start-VM's own example
/// is <c>Start-VM -Name Test*</c>), so <c>Remove-VM -Name 'a*'</c> would remove other people's VMs.
/// Names containing <c>* ? [ ]</c> or the wildcard escape <c>`</c> are refused: rendering throws
/// <see cref="ArgumentException"/>. Labfile names can never contain them.</para>
/// </remarks>
public static partial class HyperVScript
{
    private const string HyperV = "Hyper-V\\";

    /// <summary>The script for one PowerShell process that runs the batch's operations in order.</summary>
    /// <exception cref="ArgumentException">An operation names an object with wildcard characters, or is incomplete.</exception>
    public static string Render(OperationBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var w = new ScriptWriter();
        var count = batch.Operations.Length;

        w.Comment($"LabRunner batch: {batch.Label}");
        w.Comment(string.Create(CultureInfo.InvariantCulture,
            $"{count} operation(s) in one PowerShell process. Every value is a single-quoted literal: nothing in it runs."));
        w.Comment("Progress goes to stdout as '##labrunner begin|ok|fail N' lines. A VM's error skips the rest of that VM;");
        w.Comment("a host networking error stops the batch.");
        w.Line("$ErrorActionPreference = " + Q("Stop"));
        w.Line("$ProgressPreference = " + Q("SilentlyContinue"));
        // Strict mode turns a misspelt variable or property in this script into an error instead of
        // a $null handed to a cmdlet (a $null -FirstBootDevice would silently change the boot order).
        w.Line("Set-StrictMode -Version " + Q("3.0"));
        w.Line("$labrunnerStep = 0");
        SecretPreamble(w, batch);
        w.Line("trap {");
        FailLine(w, "    ");
        w.Line("    exit 1");
        w.Line("}");

        // Segments: runs of consecutive operations of one VM (or of host networking).
        var segments = new List<(string? Vm, int Start, int End)>();
        for (var start = 0; start < count;)
        {
            var vm = batch.Operations[start].Vm;
            var end = start;
            while (end < count && string.Equals(batch.Operations[end].Vm, vm, StringComparison.OrdinalIgnoreCase)) end++;
            segments.Add((vm, start, end));
            start = end;
        }
        // A VM whose operations are split (never so in the engine's batches) is remembered as failed, so its later segments are skipped too.
        var split = segments.Where(g => g.Vm is not null).GroupBy(g => g.Vm!, StringComparer.OrdinalIgnoreCase)
            .Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (split.Count > 0) w.Line("$labrunnerFailed = @{}");

        foreach (var (vm, start, end) in segments)
        {
            if (vm is null)
            {
                for (var i = start; i < end; i++) Operation(w, batch, i, "", blank: true);
                continue;
            }
            var guarded = split.Contains(vm);
            var indent = guarded ? "        " : "    ";
            w.Blank();
            w.Comment($"VM '{vm}': an error skips the rest of this VM's operations, not the other VMs'.");
            if (guarded) w.Line("if (-not $labrunnerFailed.ContainsKey(" + Q(vm) + ")) {");
            w.Line(indent[4..] + "try {");
            for (var i = start; i < end; i++) Operation(w, batch, i, indent, blank: i > start);
            w.Line(indent[4..] + "}");
            w.Line(indent[4..] + "catch {");
            FailLine(w, indent);
            if (guarded) w.Line(indent + "$labrunnerFailed[" + Q(vm) + "] = $true");
            w.Line(indent[4..] + "}");
            if (guarded) w.Line("}");
        }
        w.Blank();
        w.Line("exit 0");
        return w.ToString();
    }

    private static void Operation(ScriptWriter w, OperationBatch batch, int index, string indent, bool blank)
    {
        var step = index + 1;
        var operation = batch.Operations[index];
        if (blank) w.Blank();
        w.Indent = indent;
        w.Comment(string.Create(CultureInfo.InvariantCulture, $"[{step}/{batch.Operations.Length}] {operation.Describe()}"));
        w.Line("$labrunnerStep = " + PowerShellLiteral.Number(step));
        w.Line(Q(ScriptProtocol.BeginLine(step)));
        Block(w, operation);
        w.Line(Q(ScriptProtocol.OkLine(step)));
        w.Indent = "";
    }

    /// <summary>The <c>fail</c> line for the error in <c>$_</c> and the operation in <c>$labrunnerStep</c>.</summary>
    private static void FailLine(ScriptWriter w, string indent)
    {
        w.Line(indent + "$labrunnerError = $_");
        w.Line(indent + "$labrunnerId = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$labrunnerError.FullyQualifiedErrorId))");
        w.Line(indent + "$labrunnerMessage = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$labrunnerError.Exception.Message))");
        w.Line(indent + Q(ScriptProtocol.Prefix + " fail ") + " + $labrunnerStep + ' ' + $labrunnerError.CategoryInfo.Category + ' ' + $labrunnerId + ' ' + $labrunnerMessage");
    }

    private static void Block(ScriptWriter w, HostOperation operation)
    {
        switch (operation)
        {
            case CreateSwitch op when op.Kind == SwitchKind.External:
                w.Line("$null = " + new CommandText(HyperV + "New-VMSwitch")
                    .String("Name", Name(op.Name, "switch name"))
                    .String("NetAdapterName", Name(op.NetAdapterName ?? throw new ArgumentException($"External switch '{op.Name}' has no network adapter.", nameof(operation)), "network adapter name"))
                    .Boolean("AllowManagementOS", true)
                    .String("Notes", op.Notes)
                    .Stop());
                break;

            case CreateSwitch op:
                w.Line("$null = " + new CommandText(HyperV + "New-VMSwitch")
                    .String("Name", Name(op.Name, "switch name"))
                    .String("SwitchType", op.Kind == SwitchKind.Internal ? "Internal" : "Private")
                    .String("Notes", op.Notes)
                    .Stop());
                break;

            case AssignHostIp op:
                Name(op.SwitchName, "switch name");
                w.Line("$null = " + new CommandText("New-NetIPAddress")
                    .String("InterfaceAlias", HyperVRules.VnicName(op.SwitchName))
                    .String("IPAddress", op.Ip.ToString())
                    .Number("PrefixLength", op.PrefixLength)
                    .String("AddressFamily", "IPv4")
                    .Stop());
                break;

            case CreateNat op:
                w.Line("$null = " + new CommandText("New-NetNat")
                    .String("Name", Name(op.Name, "NetNat name"))
                    .String("InternalIPInterfaceAddressPrefix", op.InternalPrefix.ToString())
                    .Stop());
                break;

            case AddPortMapping op:
                w.Line("$null = " + new CommandText("Add-NetNatStaticMapping")
                    .String("NatName", Name(op.NatName, "NetNat name"))
                    .String("Protocol", ProtocolName(op.Protocol))
                    .String("ExternalIPAddress", op.ExternalIp.ToString())
                    .Number("ExternalPort", op.ExternalPort)
                    .String("InternalIPAddress", op.InternalIp.ToString())
                    .Number("InternalPort", op.InternalPort)
                    .Stop());
                break;

            case RemovePortMapping op:
                // Filtered here rather than with Get-NetNatStaticMapping -NatName, which fails when the
                // NAT has no mappings left: a mapping that is already gone is the state we want.
                // Protocol is compared as text because it reads back as 'TCP' or as IANA number 6. WinNAT
                // may read the external address back with a prefix ('0.0.0.0/24', the form Microsoft's
                // own examples pass), so only the part before a '/' is compared.
                w.Line(new CommandText("Get-NetNatStaticMapping").Stop() + " |");
                w.Line("    Where-Object { $_.NatName -eq " + Q(Name(op.NatName, "NetNat name"))
                    + " -and ([string]$_.ExternalIPAddress).Split('/')[0] -eq " + Q(op.ExternalIp.ToString())
                    + " -and $_.ExternalPort -eq " + PowerShellLiteral.Number(op.ExternalPort)
                    + " -and $_.InternalIPAddress -eq " + Q(op.InternalIp.ToString())
                    + " -and $_.InternalPort -eq " + PowerShellLiteral.Number(op.InternalPort)
                    + " -and @(" + Q(ProtocolName(op.Protocol)) + ", " + Q(PowerShellLiteral.Number(IanaNumber(op.Protocol))) + ") -contains [string]$_.Protocol } |");
                w.Line("    " + new CommandText("Remove-NetNatStaticMapping").SwitchOff("Confirm").Stop());
                break;

            case RemoveSwitch op:
                w.Line(new CommandText(HyperV + "Remove-VMSwitch")
                    .String("Name", Name(op.Name, "switch name"))
                    .Switch("Force")
                    .Stop());
                break;

            case RemoveNat op:
                w.Line(new CommandText("Remove-NetNat")
                    .String("Name", Name(op.Name, "NetNat name"))
                    .SwitchOff("Confirm")
                    .Stop());
                break;

            case CreateDisk op:
                w.Line("$null = " + new CommandText(HyperV + "New-VHD")
                    .String("Path", op.Path)
                    .String("ParentPath", op.ParentPath)
                    .Switch("Differencing")
                    .Stop());
                break;

            case CreateVm op:
                Name(op.VmName, "VM name");
                w.Line("$null = " + new CommandText(HyperV + "New-VM")
                    .String("Name", op.VmName)
                    .Number("Generation", op.Generation)
                    .Number("MemoryStartupBytes", op.MemoryBytes)
                    .String("VHDPath", op.DiskPath)
                    .String("Path", op.Path)
                    .Stop());
                // New-VM cannot set Notes: mark the VM at once, before anything else can fail.
                w.Line(new CommandText(HyperV + "Set-VM").String("Name", op.VmName).String("Notes", op.Notes).Stop());
                // A call of its own, after the mark: Windows 10/11 turn automatic checkpoints on for new VMs.
                w.Line(DisableCheckpoints(op.VmName));
                // New VMs take production checkpoints; the Labfile's snapshot_type says which.
                if (op.SnapshotType is { } snapshotType) w.Line(SnapshotScript.SetCheckpointType(op.VmName, snapshotType));
                // New-VM always adds one unconnected adapter (named per the host's language); LabRunner
                // adds its own, with static MACs, so the default one goes.
                w.Line(new CommandText(HyperV + "Get-VMNetworkAdapter").String("VMName", op.VmName).Stop()
                    + " | " + new CommandText(HyperV + "Remove-VMNetworkAdapter").Stop());
                break;

            case SetVmHardware op:
                w.Line(new CommandText(HyperV + "Set-VM")
                    .String("Name", Name(op.VmName, "VM name"))
                    .Number("ProcessorCount", op.Cpus)
                    .Switch("StaticMemory")
                    .Number("MemoryStartupBytes", op.MemoryBytes)
                    .Stop());
                break;

            case AddVmAdapter op:
                w.Line(new CommandText(HyperV + "Add-VMNetworkAdapter")
                    .String("VMName", Name(op.VmName, "VM name"))
                    .String("Name", Name(op.AdapterName, "adapter name"))
                    .String("SwitchName", Name(op.SwitchName, "switch name"))
                    .String("StaticMacAddress", op.Mac.ToBareString())
                    .Stop());
                break;

            case ConnectVmAdapter op:
                w.Line(new CommandText(HyperV + "Connect-VMNetworkAdapter")
                    .String("VMName", Name(op.VmName, "VM name"))
                    .String("Name", Name(op.AdapterName, "adapter name"))
                    .String("SwitchName", Name(op.SwitchName, "switch name"))
                    .Stop());
                break;

            case RemoveVmAdapter op:
                w.Line(new CommandText(HyperV + "Remove-VMNetworkAdapter")
                    .String("VMName", Name(op.VmName, "VM name"))
                    .String("Name", Name(op.AdapterName, "adapter name"))
                    .Stop());
                break;

            case AttachSeed { Drive: SeedDrive.EmptyOrNew } op:
                // New-VM may give a generation 1 VM an empty DVD drive: the seed goes there rather than
                // into a second drive, addressed by its place.
                Name(op.VmName, "VM name");
                w.Line("$labrunnerDvd = @(" + new CommandText(HyperV + "Get-VMDvdDrive").String("VMName", op.VmName).Stop()
                    + " | Where-Object { [string]::IsNullOrEmpty($_.Path) })");
                w.Line("if ($labrunnerDvd.Count -gt 0) { " + SetDvdDrive(op) + " }");
                w.Line("else { " + new CommandText(HyperV + "Add-VMDvdDrive").String("VMName", op.VmName).String("Path", op.IsoPath).Stop() + " }");
                break;

            case AttachSeed op:
                // The drive the plan names by what it holds, found by its place: Set-VMDvdDrive without a
                // controller number and location changes every DVD drive of the VM.
                Name(op.VmName, "VM name");
                var (filter, wanted) = op.Drive is SeedDrive.Holding h
                    ? ("$_.Path -eq " + Q(h.Disc), $"DVD drive holding '{h.Disc}'")
                    : ("[string]::IsNullOrEmpty($_.Path)", "empty DVD drive");
                w.Line("$labrunnerDvd = @(" + new CommandText(HyperV + "Get-VMDvdDrive").String("VMName", op.VmName).Stop()
                    + " | Where-Object { " + filter + " })");
                w.Line("if ($labrunnerDvd.Count -eq 0) { " + ThrowNotFound($"VM '{op.VmName}' has no {wanted}.", "LabRunnerDvdDriveNotFound") + " }");
                w.Line(SetDvdDrive(op));
                break;

            case DisableAutomaticSnapshots op:
                w.Line(DisableCheckpoints(Name(op.VmName, "VM name")));
                break;

            case SetSnapshotType op:
                w.Line(SnapshotScript.SetCheckpointType(Name(op.VmName, "VM name"), op.Type));
                break;

            case SetFirmware op:
                Name(op.VmName, "VM name");
                // The disk to boot from is found by its path, so the boot order never depends on
                // which drive happens to be listed first.
                w.Line("$labrunnerDisk = @(" + new CommandText(HyperV + "Get-VMHardDiskDrive").String("VMName", op.VmName).Stop()
                    + " | Where-Object { $_.Path -eq " + Q(op.BootDiskPath) + " })");
                w.Line("if ($labrunnerDisk.Count -eq 0) { "
                    + ThrowNotFound($"VM '{op.VmName}' has no hard disk drive with the path '{op.BootDiskPath}'.", "LabRunnerBootDiskNotFound") + " }");
                var firmware = new CommandText(HyperV + "Set-VMFirmware")
                    .String("VMName", op.VmName)
                    .String("EnableSecureBoot", op.SecureBoot ? "On" : "Off");
                if (op.SecureBoot) firmware.String("SecureBootTemplate", op.SecureBootTemplate);
                w.Line(firmware.Variable("FirstBootDevice", "$labrunnerDisk[0]").Stop());
                break;

            case StartVm op:
                w.Line(new CommandText(HyperV + "Start-VM").String("Name", Name(op.VmName, "VM name")).Stop());
                break;

            case StopVm op:
                // -Force: without it Stop-VM asks before shutting down a locked guest, which fails
                // in a non-interactive process. -TurnOff is power off; otherwise the guest shuts down.
                var stop = new CommandText(HyperV + "Stop-VM").String("Name", Name(op.VmName, "VM name"));
                if (op.TurnOff) stop.Switch("TurnOff");
                w.Line(stop.Switch("Force").Stop());
                break;

            case ResumeVm op:
                w.Line(new CommandText(HyperV + "Resume-VM").String("Name", Name(op.VmName, "VM name")).Stop());
                break;

            case DiscardSuspendedState op:
                w.Line(new CommandText(HyperV + "Remove-VMSavedState").String("VMName", Name(op.VmName, "VM name")).SwitchOff("Confirm").Stop());
                break;

            case RemoveVm op:
                w.Line(new CommandText(HyperV + "Remove-VM").String("Name", Name(op.VmName, "VM name")).Switch("Force").Stop());
                break;

            case RemoveFile op:
                // -LiteralPath: a path is never a wildcard pattern. A file that is already gone is fine.
                w.Line("if (" + new CommandText("Test-Path").String("LiteralPath", op.Path).String("PathType", "Leaf")
                    + ") { " + new CommandText("Remove-Item").String("LiteralPath", op.Path).Switch("Force").Stop() + " }");
                break;

            case SetSwitchNotes op:
                w.Line(new CommandText(HyperV + "Set-VMSwitch").String("Name", Name(op.Name, "switch name")).String("Notes", op.Notes).Stop());
                break;

            case SetVmNotes op:
                w.Line(new CommandText(HyperV + "Set-VM").String("Name", Name(op.VmName, "VM name")).String("Notes", op.Notes).Stop());
                break;

            // virtiofs is QEMU's (HyperVRules offer push and smb only): the reconciler plans neither for Hyper-V, and a batch
            // that has one anyway fails at it with a message, never with a half-understood command.
            case AddVmShare op:
                w.Line(ThrowNotSupported($"Hyper-V shares no folder with VM '{op.VmName}' through virtiofs; use 'type: smb' or 'type: push'.", "LabRunnerNoVirtiofs"));
                break;

            case RemoveVmShare op:
                w.Line(ThrowNotSupported($"Hyper-V has no virtiofs share '{op.Tag}' of VM '{op.VmName}' to remove.", "LabRunnerNoVirtiofs"));
                break;

            default:
                if (ShareBlock(w, operation)) break;
                throw new ArgumentException($"The Hyper-V provider has no script for {operation.GetType().Name}.", nameof(operation));
        }
    }

    private static string Q(string value) => PowerShellLiteral.Quote(value);

    /// <summary>A real ErrorRecord, so the trap reports NotImplemented and an id of LabRunner's own.</summary>
    private static string ThrowNotSupported(string message, string errorId) =>
        "throw [System.Management.Automation.ErrorRecord]::new([System.NotSupportedException]::new("
        + Q(message) + "), " + Q(errorId) + ", [System.Management.Automation.ErrorCategory]::NotImplemented, $null)";

    /// <summary>A real ErrorRecord, so the trap or catch reports ObjectNotFound and an id of LabRunner's own.</summary>
    private static string ThrowNotFound(string message, string errorId) =>
        "throw [System.Management.Automation.ErrorRecord]::new([System.Management.Automation.ItemNotFoundException]::new("
        + Q(message) + "), " + Q(errorId) + ", [System.Management.Automation.ErrorCategory]::ObjectNotFound, $null)";

    /// <summary>Set-VMDvdDrive of the drive found first in <c>$labrunnerDvd</c>.</summary>
    private static string SetDvdDrive(AttachSeed op) => new CommandText(HyperV + "Set-VMDvdDrive")
        .String("VMName", op.VmName)
        .Variable("ControllerNumber", "$labrunnerDvd[0].ControllerNumber")
        .Variable("ControllerLocation", "$labrunnerDvd[0].ControllerLocation")
        .String("Path", op.IsoPath)
        .Stop();

    private static string DisableCheckpoints(string vmName) =>
        new CommandText(HyperV + "Set-VM").String("Name", vmName).Boolean("AutomaticCheckpointsEnabled", false).Stop();

    private static string ProtocolName(PortProtocol protocol) => protocol == PortProtocol.Udp ? "UDP" : "TCP";

    private static int IanaNumber(PortProtocol protocol) => protocol == PortProtocol.Udp ? 17 : 6;

    /// <summary>Checks that a Hyper-V or NetNat object name cannot match more than itself.</summary>
    private static string Name(string value, string what)
    {
        if (string.IsNullOrEmpty(value)) throw new ArgumentException($"The {what} is empty.");
        if (value.IndexOfAny(Names.WildcardCharacters) >= 0)
            throw new ArgumentException(
                $"The {what} '{value}' contains a wildcard character (* ? [ ] `); Hyper-V and NetNat cmdlets would read it as a pattern that can match other objects.");
        return value;
    }

    private sealed class ScriptWriter
    {
        private readonly StringBuilder _text = new();

        /// <summary>Put before every line and comment (inside a VM's segment).</summary>
        public string Indent { get; set; } = "";

        public void Line(string line) => _text.Append(Indent).Append(line).Append('\n');

        public void Blank() => _text.Append('\n');

        /// <summary>
        /// A comment line. Anything that PowerShell or an editor could read as a line end is replaced,
        /// so text from an operation can never end the comment and become code.
        /// </summary>
        public void Comment(string text)
        {
            var clean = new StringBuilder(text.Length);
            foreach (var c in text)
                clean.Append(char.IsControl(c) || c is '\u0085' or '\u2028' or '\u2029' ? ' ' : c);
            _text.Append(Indent).Append("# ").Append(clean).Append('\n');
        }

        public override string ToString() => _text.ToString();
    }
}
