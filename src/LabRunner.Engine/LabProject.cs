using System.Collections.Immutable;
using LabRunner.Core.Boxes;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;
using LabRunner.Guest;
using LabRunner.Guest.Ssh;
using LabRunner.HostCommon.Disks;

namespace LabRunner.Engine;

/// <summary>A project on disk: the folder holding the Labfile, its optional local override, boxes and templates.</summary>
public sealed record LabProject(string ProjectDirectory, SourceText Labfile, SourceText? Local, LabContext Context)
{
    public const string NatPrefixVariable = PlanRules.NatPrefixVariable;
    private static readonly string[] LabfileNames = ["Labfile.yml", "Labfile.yaml"];
    private static readonly string[] LocalNames = ["Labfile.local.yml", "Labfile.local.yaml"];

    /// <summary>
    /// Finds and reads the project. <paramref name="file"/> is the <c>-f</c> option as typed; paths in
    /// diagnostics stay as the user wrote them so editors and terminals can follow them. The lab is planned by
    /// <paramref name="rules"/>, its provider's (the engine plans again with the host's before it changes anything).
    /// </summary>
    public static LabProject Open(string? file, string workingDirectory, Func<string, string?> getVariable, HostRules rules)
    {
        string displayPath;
        if (file is not null)
        {
            displayPath = file;
        }
        else
        {
            displayPath = LabfileNames.FirstOrDefault(n => File.Exists(Path.Combine(workingDirectory, n)))
                ?? throw new ProjectInputException($"no Labfile.yml or Labfile.yaml in {workingDirectory}; 'lab init' writes one ('lab init --list' shows its templates), or pass -f PATH");
        }

        var fullPath = Path.GetFullPath(displayPath, workingDirectory);
        if (Directory.Exists(fullPath))
            throw new ProjectInputException($"'{displayPath}' is a folder; pass the Labfile itself, e.g. -f {Path.Combine(displayPath, "Labfile.yml")}");
        if (!File.Exists(fullPath))
            throw new ProjectInputException($"Labfile '{displayPath}' does not exist");

        var directory = Path.GetDirectoryName(fullPath)!;
        var labfile = new SourceText(displayPath, InputFile.ReadRequired(fullPath, displayPath));
        var displayDir = Path.GetDirectoryName(displayPath) ?? "";
        SourceText? local = null;
        foreach (var name in LocalNames)
        {
            var localPath = Path.Combine(directory, name);
            // Anything of that name counts (a folder, a FIFO, a link to nothing): it is read or refused, never skipped.
            if (InputFile.IsPresent(localPath))
            {
                local = new SourceText(Path.Combine(displayDir, name), InputFile.ReadText(localPath, name));
                break;
            }
        }

        var context = LabContext.For(rules) with
        {
            BoxesOnDisk = BoxesIn(Path.Combine(directory, "boxes")),
            DefaultNatPrefix = NatPrefix(getVariable),
        };
        return new LabProject(directory, labfile, local, context);
    }

    /// <summary>The project's own folder for state, disks and seeds; git-ignored.</summary>
    public string StateDirectory => Path.Combine(ProjectDirectory, ".lab");

    /// <summary>The id in the ownership mark of the lab's switches and VMs, from the folder's path (see <see cref="ProjectIdentity"/>).</summary>
    public string ProjectId => ProjectIdentity.Of(ProjectDirectory);

    /// <summary>
    /// This project planning with the addresses and MACs its VMs held at the end of the last run (.lab/state.json),
    /// for commands that do not read the host ('plan', 'seed'); unchanged for a project with no state.
    /// </summary>
    public LabProject WithRecordedAllocations() => File.Exists(ProjectState.PathIn(StateDirectory))
        ? this with { Context = Context with { Allocations = AllocationState.Held(ProjectState.LoadOrCreate(StateDirectory), _ => true) } }
        : this;

    public LoadResult Load() => LabfileLoader.Load(Labfile, Local, Context);

    public PlanResult Plan() => LabfileLoader.LoadAndPlan(Labfile, Local, Context);

    /// <summary>Plans again knowing the host: other labs' subnets are taken, this lab keeps its slices.</summary>
    public PlanResult Plan(LabContext hostAware) => LabfileLoader.LoadAndPlan(Labfile, Local, hostAware);

    /// <summary>
    /// Load and plan as <see cref="Plan()"/>, and also report (LAB308) every box a VM uses whose declared
    /// file is not on this machine: what 'lab validate' checks. A network path (\\server\share) is
    /// left to 'lab up', which asks the host.
    /// </summary>
    public PlanResult PlanCheckingBoxFiles()
    {
        var loaded = Load();
        if (loaded.Lab is null) return new PlanResult(loaded.Lab, null, loaded.Diagnostics);
        // A box the store lacks is reported with the Labfile's other problems, as an undeclared box always was.
        if (loaded.HasErrors) return Plan(WithMissingStoreBoxes(Context, loaded.Lab));
        return Plan(WithMissingSyncedFolders(WithRefusedBoxFiles(WithMissingStoreBoxes(WithMissingProvisionFiles(WithMissingBoxFiles(Context, loaded.Lab, path => IsNetworkPath(path) || File.Exists(path)), loaded.Lab), loaded.Lab), loaded.Lab), loaded.Lab));
    }

    /// <summary>
    /// Load and plan with <paramref name="context"/>, reporting (LAB301, LAB313) every store box a VM uses by
    /// name or by 'version' alone that the box store does not have: what 'lab plan' checks.
    /// </summary>
    public PlanResult PlanCheckingStoreBoxes(LabContext context)
    {
        var loaded = LabfileLoader.Load(Labfile, Local, context);
        if (loaded.Lab is null) return new PlanResult(loaded.Lab, null, loaded.Diagnostics);
        return Plan(WithRefusedBoxFiles(WithMissingStoreBoxes(context, loaded.Lab), loaded.Lab));
    }

    /// <summary>
    /// <paramref name="context"/> knowing which boxes VMs use have a disk on this machine that may not be a box
    /// (LAB314): one naming another file (a qcow2 backing or external data file, a VHDX/VHD parent) or with a
    /// damaged header, read from the disk's own header. A disk not here is left to LAB308 and the host.
    /// </summary>
    public LabContext WithRefusedBoxFiles(LabContext context, LabDefinition lab)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(lab);
        var refused = context.RefusedBoxFiles;
        foreach (var box in lab.Vms.Select(v => v.Box).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var path = BoxPath(lab, box);
            if (IsNetworkPath(path) || !File.Exists(path)) continue;
            if (DiskImageInspector.InspectFile(path).Refusal is { } why)
                refused = refused.SetItem(box, $"'{path}' {why}");
        }
        return context with { RefusedBoxFiles = refused };
    }

    /// <summary>
    /// <paramref name="result"/> with every VM's guest files rendered from the project's templates as 'lab up' and
    /// 'lab seed' render them, so 'validate' and 'plan' report template problems (LAB6xx) too. Stand-in secrets
    /// (a fresh key pair, a placeholder password) are used: nothing is read from or written to .lab/, and no
    /// password is asked for. A template error makes the result fail like any Labfile error.
    /// </summary>
    public PlanResult CheckingTemplates(PlanResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Plan is not { } plan || result.HasErrors) return result;
        var renderer = new GuestConfigRenderer(new ProjectTemplateSource(ProjectDirectory));
        var keys = SshKeys.Generate(plan.Lab);
        var diagnostics = result.Diagnostics.ToList();
        foreach (var vm in plan.Vms)
        {
            var secrets = new GuestSecrets(keys.PublicKey, vm.Os == GuestOs.Windows ? StandInPassword : null) { SshHostKey = vm.Os == GuestOs.Linux ? keys : null };
            diagnostics.AddRange(renderer.Render(plan.Lab, vm, secrets).Diagnostics);
        }
        var all = diagnostics.Distinct().ToImmutableArray();
        return new PlanResult(result.Lab, all.Any(d => d.IsError) ? null : plan, all);
    }

    /// <summary>Meets Windows' password rules, so a template renders as it would with the real one.</summary>
    private const string StandInPassword = "Stand-in-Passw0rd";

    /// <summary><paramref name="context"/> knowing which provisioner files (scripts, file sources) are missing next to the Labfile (LAB703).</summary>
    public LabContext WithMissingProvisionFiles(LabContext context, LabDefinition lab) =>
        context with
        {
            MissingProvisionFiles = [.. lab.Vms.SelectMany(v => v.Provisioners).Select(p => LabRunner.Core.Validation.LabValidator.ProvisionFile(p).Path)
                .OfType<string>().Distinct(StringComparer.Ordinal).Where(p => !File.Exists(ProvisionPath(p)))],
        };

    /// <summary><paramref name="context"/> knowing which synced folders' host paths are not folders next to the Labfile (LAB802).</summary>
    public LabContext WithMissingSyncedFolders(LabContext context, LabDefinition lab)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(lab);
        return context with
        {
            MissingSyncedFolders = [.. lab.Vms.SelectMany(v => v.SyncedFolders).Select(f => f.HostPath)
                .Distinct(StringComparer.Ordinal).Where(p => !Directory.Exists(SyncedFolderPath(p)))],
        };
    }

    /// <summary>A synced folder on this machine: relative to the Labfile's folder (an absolute path as it is).</summary>
    public string SyncedFolderPath(string path) => Path.GetFullPath(path, ProjectDirectory);

    /// <summary>A provisioner's file on this machine: relative to the Labfile's folder.</summary>
    public string ProvisionPath(string path) => Path.GetFullPath(path, ProjectDirectory);

    /// <summary><paramref name="context"/> knowing which of the lab's declared box files <paramref name="exists"/> says are missing.</summary>
    public LabContext WithMissingBoxFiles(LabContext context, LabDefinition lab, Func<string, bool> exists) =>
        context with { MissingBoxFiles = [.. lab.Boxes.Where(b => !b.FromStore && !exists(BoxPath(lab, b.Name))).Select(b => b.Path)] };

    /// <summary>
    /// <paramref name="context"/> knowing which store boxes without a 'url' (named by a VM alone, or declared
    /// with only a 'version') the store has no fitting version of (LAB301, LAB313). A 'url' box is not
    /// checked: 'lab up' adds it. Unchanged without a store.
    /// </summary>
    public LabContext WithMissingStoreBoxes(LabContext context, LabDefinition lab)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (StoreBoxes is null) return context;
        var missing = StoreBoxesUsed(lab).Where(b => b.Url is null && StoreBoxes(b) is null).Select(b => b.Name).ToImmutableHashSet(StringComparer.OrdinalIgnoreCase);
        return missing.IsEmpty ? context : context with { MissingStoreBoxes = missing, StoreBoxNames = [.. StoreBoxNames?.Invoke() ?? []] };
    }

    /// <summary>
    /// Finds a box in the user's box store: the newest installed version of its name that fits its 'version'
    /// (for the host's provider), or null when none is installed ('lab up' adds a 'url' box first).
    /// Set by the CLI, which owns the store (<see cref="WithBoxStore"/>); null where no store is used.
    /// </summary>
    public Func<BoxDefinition, StoreBox?>? StoreBoxes { get; init; }

    /// <summary>The names the box store has boxes under, for "did you mean" when one is missing.</summary>
    public Func<IReadOnlyList<string>>? StoreBoxNames { get; init; }

    /// <summary>
    /// This project with the user's box store for <paramref name="provider"/>'s boxes: 'url' boxes, boxes declared
    /// with only a 'version', and VMs' boxes neither declared nor in <c>boxes/</c> come from it.
    /// </summary>
    public LabProject WithBoxStore(string provider, Func<BoxDefinition, StoreBox?> resolver, Func<IReadOnlyList<string>>? names = null) =>
        this with { StoreBoxes = resolver, StoreBoxNames = names, Context = Context with { BoxStoreProvider = provider } };

    /// <summary>
    /// The boxes VMs of the lab use that come from the box store, each once, in the order of 'boxes' and then of
    /// the VMs: declared ones with 'url' or 'version', and (with a store) names neither declared nor in <c>boxes/</c>,
    /// as an entry with no constraint.
    /// </summary>
    public IReadOnlyList<BoxDefinition> StoreBoxesUsed(LabDefinition lab)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var used = lab.Vms.Select(v => v.Box).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var declared = lab.Boxes.Where(b => b.FromStore && used.Contains(b.Name));
        var byName = lab.Vms.Select(v => v.Box).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase)
            .Where(b => IsStoreName(lab, b)).Select(b => new BoxDefinition(b, "", null, default) { FromStore = true });
        return [.. declared, .. byName];
    }

    /// <summary>The store box a VM's box resolves to; null for a 'path' box, a file in <c>boxes/</c>, or one not installed.</summary>
    public StoreBox? StoreBoxOf(LabDefinition lab, string? box)
    {
        ArgumentNullException.ThrowIfNull(lab);
        if (box is null || StoreBoxes is null) return null;
        if (Declared(lab, box) is { } declared)
            return declared.FromStore ? StoreBoxes(declared) : null;
        return IsStoreName(lab, box) ? StoreBoxes(new BoxDefinition(box, "", null, default) { FromStore = true }) : null;
    }

    private static BoxDefinition? Declared(LabDefinition lab, string box) =>
        lab.Boxes.FirstOrDefault(b => string.Equals(b.Name, box, StringComparison.OrdinalIgnoreCase));

    /// <summary>A VM's box named by itself (Vagrant's <c>config.vm.box</c>): not declared, and no file in <c>boxes/</c>.</summary>
    private bool IsStoreName(LabDefinition lab, string box) =>
        StoreBoxes is not null && Declared(lab, box) is null && !Context.BoxesOnDisk.Contains(box, StringComparer.OrdinalIgnoreCase);

    private IEnumerable<string> BoxFolderCandidates(string box) =>
        BoxExtensions.Select(e => Path.GetFullPath(Path.Combine("boxes", box + e), ProjectDirectory));

    private static bool IsNetworkPath(string path) => path.StartsWith(@"\\", StringComparison.Ordinal) || path.StartsWith("//", StringComparison.Ordinal);

    /// <summary>The disk files a box in the project's boxes/ folder may be, in the order they are looked for.</summary>
    public static readonly ImmutableArray<string> BoxExtensions = [".vhdx", ".vhd", ".qcow2", ".img", ".raw"];

    /// <summary>
    /// The base disk of a box: the Labfile's 'boxes' entry (relative to the project, or the store's disk), else
    /// the first of boxes/NAME.vhdx, .vhd, .qcow2, .img, .raw that exists, else the store's box of that name
    /// (boxes/NAME.vhdx when there is none).
    /// </summary>
    public string BoxPath(LabDefinition lab, string box)
    {
        var declared = Declared(lab, box);
        if (declared is { FromStore: true })
            return StoreBoxOf(lab, box)?.DiskPath ?? Path.Combine(StateDirectory, "boxes-not-added", box);
        if (declared is not null) return Path.GetFullPath(declared.Path, ProjectDirectory);
        var candidates = BoxFolderCandidates(box).ToList();
        return candidates.FirstOrDefault(File.Exists) ?? StoreBoxOf(lab, box)?.DiskPath ?? candidates[0];
    }

    private static ImmutableArray<string> BoxesIn(string folder) => Directory.Exists(folder)
        ? [.. Directory.EnumerateFiles(folder).Where(f => BoxExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Select(Path.GetFileNameWithoutExtension).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]
        : [];

    private static Ipv4Subnet NatPrefix(Func<string, string?> getVariable)
    {
        var text = getVariable(NatPrefixVariable);
        if (string.IsNullOrEmpty(text)) return PlanRules.DefaultNatPrefix;
        if (!Ipv4Subnet.TryParse(text, out var prefix, out var hostBits) || hostBits)
            throw new ProjectInputException($"{NatPrefixVariable}='{text}' is not a subnet in CIDR form such as 10.188.0.0/16");
        // The same rule as 'nat.prefix' in a Labfile (LAB218): the variable must not get around it.
        if (!PlanRules.IsUsableNatPrefix(prefix))
            throw new ProjectInputException($"{NatPrefixVariable}='{text}' must be a private range (10/8, 172.16/12 or 192.168/16) of /8 to /28");
        return prefix;
    }
}

/// <summary>A box from the user's box store: its disk, name and version (what state.json records per VM).</summary>
public sealed record StoreBox(string DiskPath, string Name, BoxVersion Version, string Provider);
