using System.Collections.Immutable;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;
using LabRunner.Core.Planning;

namespace LabRunner.Engine;

/// <summary>A project on disk: the folder holding the Labfile, its optional local override, boxes and templates.</summary>
public sealed record LabProject(string ProjectDirectory, SourceText Labfile, SourceText? Local, LabContext Context)
{
    public const string NatPrefixVariable = PlanRules.NatPrefixVariable;
    private static readonly string[] LabfileNames = ["Labfile.yml", "Labfile.yaml"];
    private static readonly string[] LocalNames = ["Labfile.local.yml", "Labfile.local.yaml"];

    /// <summary>
    /// Finds and reads the project. <paramref name="file"/> is the <c>-f</c> option as typed; paths in
    /// diagnostics stay as the user wrote them so editors and terminals can follow them.
    /// </summary>
    public static LabProject Open(string? file, string workingDirectory, Func<string, string?> getVariable)
    {
        string displayPath;
        if (file is not null)
        {
            displayPath = file;
        }
        else
        {
            displayPath = LabfileNames.FirstOrDefault(n => File.Exists(Path.Combine(workingDirectory, n)))
                ?? throw new UsageException($"no Labfile.yml or Labfile.yaml in {workingDirectory}; create one (see Labfile.example.yml) or pass -f PATH");
        }

        var fullPath = Path.GetFullPath(displayPath, workingDirectory);
        if (Directory.Exists(fullPath))
            throw new UsageException($"'{displayPath}' is a folder; pass the Labfile itself, e.g. -f {Path.Combine(displayPath, "Labfile.yml")}");
        if (!File.Exists(fullPath))
            throw new UsageException($"Labfile '{displayPath}' does not exist");

        var directory = Path.GetDirectoryName(fullPath)!;
        var labfile = new SourceText(displayPath, InputFile.ReadRequired(fullPath, displayPath));
        var displayDir = Path.GetDirectoryName(displayPath) ?? "";
        SourceText? local = null;
        foreach (var name in LocalNames)
        {
            var localPath = Path.Combine(directory, name);
            if (File.Exists(localPath))
            {
                local = new SourceText(Path.Combine(displayDir, name), InputFile.ReadText(localPath, name));
                break;
            }
        }

        var context = LabContext.Default with
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
        if (loaded.HasErrors || loaded.Lab is null) return new PlanResult(loaded.Lab, null, loaded.Diagnostics);
        return Plan(WithMissingBoxFiles(Context, loaded.Lab, path => IsNetworkPath(path) || File.Exists(path)));
    }

    /// <summary><paramref name="context"/> knowing which of the lab's declared box files <paramref name="exists"/> says are missing.</summary>
    public LabContext WithMissingBoxFiles(LabContext context, LabDefinition lab, Func<string, bool> exists) =>
        context with { MissingBoxFiles = [.. lab.Boxes.Where(b => !exists(BoxPath(lab, b.Name))).Select(b => b.Path)] };

    private static bool IsNetworkPath(string path) => path.StartsWith(@"\\", StringComparison.Ordinal) || path.StartsWith("//", StringComparison.Ordinal);

    /// <summary>The disk files a box in the project's boxes/ folder may be, in the order they are looked for.</summary>
    public static readonly ImmutableArray<string> BoxExtensions = [".vhdx", ".vhd", ".qcow2", ".img", ".raw"];

    /// <summary>
    /// The base disk of a box: the Labfile's 'boxes' entry (relative to the project), else the first of
    /// boxes/NAME.vhdx, .vhd, .qcow2, .img, .raw that exists (boxes/NAME.vhdx when none does).
    /// </summary>
    public string BoxPath(LabDefinition lab, string box)
    {
        var declared = lab.Boxes.FirstOrDefault(b => string.Equals(b.Name, box, StringComparison.OrdinalIgnoreCase));
        if (declared is not null) return Path.GetFullPath(declared.Path, ProjectDirectory);
        var candidates = BoxExtensions.Select(e => Path.GetFullPath(Path.Combine("boxes", box + e), ProjectDirectory)).ToList();
        return candidates.FirstOrDefault(File.Exists) ?? candidates[0];
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
            throw new UsageException($"{NatPrefixVariable}='{text}' is not a subnet in CIDR form such as 10.188.0.0/16");
        // The same rule as 'nat.prefix' in a Labfile (LAB218): the variable must not get around it.
        if (!PlanRules.IsUsableNatPrefix(prefix))
            throw new UsageException($"{NatPrefixVariable}='{text}' must be a private range (10/8, 172.16/12 or 192.168/16) of /8 to /28");
        return prefix;
    }
}

/// <summary>Wrong usage the user can fix (missing Labfile, bad option value): exit code 2, one clear line.</summary>
public sealed class UsageException(string message) : Exception(message);
