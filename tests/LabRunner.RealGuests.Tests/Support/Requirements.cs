namespace LabRunner.RealGuests.Tests.Support;

/// <summary>
/// What the real-guest tests need: Linux, root (namespaces, bridges, taps, nft), QEMU with OVMF, ip, nft, ssh,
/// python3, and the box (<c>LABRUNNER_TEST_BOX</c>, else the newest one <c>boxes/build/debian-12.sh</c> cached).
/// Off CI a missing piece skips the tests with the reason; with <c>CI</c> set they run and fail with it.
/// </summary>
public static class Requirements
{
    public const string BoxVariable = "LABRUNNER_TEST_BOX";
    public const string OvmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd";

    private static readonly (string Tool, string Package)[] Tools =
    [
        ("qemu-system-x86_64", "qemu-system-x86"), ("qemu-img", "qemu-utils"), ("ip", "iproute2"), ("nft", "nftables"),
        ("ssh", "openssh-client"), ("python3", "python3"), ("dotnet", "the .NET SDK"), ("stat", "coreutils"),
    ];

    public static bool IsCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    private static readonly Lazy<string?> Reason = new(ComputeReason);

    /// <summary>Why the real-guest tests cannot run here, or null when they can.</summary>
    public static string? WhyNot => Reason.Value;

    /// <summary>The box the lab's VMs boot: an explicit path, or the newest debian-12 box in the default cache.</summary>
    public static string? Box
    {
        get
        {
            var given = Environment.GetEnvironmentVariable(BoxVariable);
            if (!string.IsNullOrEmpty(given)) return given;
            var cache = Environment.GetEnvironmentVariable("LABRUNNER_BOX_CACHE") is { Length: > 0 } c ? c : "/var/cache/labrunner/boxes";
            if (!Directory.Exists(cache)) return null;
            return Directory.GetDirectories(cache, "debian-12-*")
                .Select(d => new FileInfo(Path.Combine(d, "debian-12.qcow2")))
                .Where(f => f.Exists && File.Exists(Path.Combine(f.DirectoryName!, "box.json")))
                .OrderByDescending(f => f.LastWriteTimeUtc)
                .FirstOrDefault()?.FullName;
        }
    }

    public static string? Find(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin"]))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string? ComputeReason()
    {
        if (!OperatingSystem.IsLinux()) return "Real guests need a Linux host with QEMU.";
        var reasons = new List<string>();
        if (Environment.UserName != "root") reasons.Add("needs root (network namespaces, bridges, taps, nftables): run the tests with sudo");
        var missing = Tools.Where(t => Find(t.Tool) is null).Select(t => t.Package).ToList();
        if (!File.Exists(OvmfCode)) missing.Add("ovmf");
        if (missing.Count > 0) reasons.Add($"missing tools: apt-get install -y {string.Join(' ', missing.Distinct())}");
        var box = Box;
        if (box is null) reasons.Add($"no box: build it with 'sudo boxes/build/debian-12.sh' or set {BoxVariable}");
        else if (!File.Exists(box)) reasons.Add($"{BoxVariable}={box}: no such file");
        return reasons.Count == 0 ? null : string.Join("; ", reasons);
    }

    /// <summary>Fails the test (the CI case) when the real guests cannot run here.</summary>
    public static void Require()
    {
        if (WhyNot is { } why) throw new Xunit.Sdk.XunitException(why);
    }
}

/// <summary>A step of the real-guest lab: skipped off CI when the lab cannot run here (with the reason); on CI it runs and fails.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class RealGuestFactAttribute : FactAttribute
{
    public RealGuestFactAttribute(int step)
    {
        Step = step;
        if (!Requirements.IsCi && Requirements.WhyNot is { } why) Skip = why;
    }

    /// <summary>The order the lab's steps run in: they share one booted lab.</summary>
    public int Step { get; }
}
