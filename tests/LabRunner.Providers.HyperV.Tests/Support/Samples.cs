using System.Collections.Immutable;
using LabRunner.Core.Hosting;
using LabRunner.Core.Labfile;
using LabRunner.Core.Net;

namespace LabRunner.Providers.HyperV.Tests.Support;

internal static partial class Samples
{
    public const string Mark = "labrunner:v1 lab=demo project=0f3a9c";

    public static Ipv4Address Ip(string text) => Ipv4Address.Parse(text);

    /// <summary>What <c>lab up</c> does for a small lab on a fresh host: one of every creating operation.</summary>
    public static OperationBatch UpBatch() => new("up demo", [
        new CreateSwitch("demo-nat", SwitchKind.Internal, null, Mark),
        new AssignHostIp("demo-nat", Ip("172.30.1.1"), 24),
        new CreateNat("LabRunnerNat", Ipv4Subnet.Parse("172.30.0.0/16")),
        new AddPortMapping("LabRunnerNat", PortProtocol.Tcp, Ip("0.0.0.0"), 2222, Ip("172.30.1.10"), 22),
        new AddPortMapping("LabRunnerNat", PortProtocol.Udp, Ip("0.0.0.0"), 5353, Ip("172.30.1.10"), 53),
        new CreateSwitch("demo-backend", SwitchKind.Private, null, Mark),
        new CreateSwitch("LabRunner Bridge", SwitchKind.External, "Ethernet 2", LabIdentity.SharedMark),
        new CreateDisk("web", @"C:\src\demo\.lab\web\disk.vhdx", @"C:\Users\dev\.labrunner\boxes\ubuntu-24.04\base.vhdx"),
        new CreateVm("web", 2, 2L * ByteSize.GiB, @"C:\src\demo\.lab\web", @"C:\src\demo\.lab\web\disk.vhdx", Mark) { SnapshotType = SnapshotType.Standard },
        new SetVmHardware("web", 2, 2L * ByteSize.GiB),
        new AddVmAdapter("web", "nat", "demo-nat", MacAddress.Parse("02-1A-2B-3C-4D-01")),
        new AddVmAdapter("web", "backend", "demo-backend", MacAddress.Parse("02-1A-2B-3C-4D-02")),
        new AttachSeed("web", @"C:\src\demo\.lab\web\seed.iso"),
        new SetFirmware("web", true, "MicrosoftUEFICertificateAuthority", @"C:\src\demo\.lab\web\disk.vhdx"),
        new StartVm("web"),
    ]);

    /// <summary>What <c>lab down</c> and <c>lab reload</c> do: one of every changing and removing operation.</summary>
    public static OperationBatch DownBatch() => new("down demo", [
        new StopVm("web", TurnOff: false),
        new ResumeVm("db"),
        new StopVm("db", TurnOff: true),
        new ConnectVmAdapter("db", "nat", "demo-nat"),
        new RemoveVmAdapter("db", "backend"),
        new DisableAutomaticSnapshots("db"),
        new AttachSeed("db", @"C:\src\demo\.lab\db\seed.iso", new SeedDrive.Holding(@"C:\src\demo\.lab\db\seed-0.iso")),
        new SetFirmware("db", false, "MicrosoftWindows", @"C:\src\demo\.lab\db\disk.vhdx"),
        new DiscardSuspendedState("web"),
        new RemoveVm("web"),
        new RemoveFile("web", @"C:\src\demo\.lab\web\disk.vhdx"),
        new RemoveFile("web", @"C:\src\demo\.lab\web\seed.iso"),
        new RemovePortMapping("LabRunnerNat", PortProtocol.Tcp, Ip("0.0.0.0"), 2222, Ip("172.30.1.10"), 22),
        new RemovePortMapping("LabRunnerNat", PortProtocol.Udp, Ip("0.0.0.0"), 5353, Ip("172.30.1.10"), 53),
        new RemoveSwitch("demo-backend"),
        new RemoveNat("LabRunnerNat"),
    ]);

    /// <summary>Every operation type at least once.</summary>
    public static ImmutableArray<HostOperation> EveryOperation() => [.. UpBatch().Operations, .. DownBatch().Operations, .. AdoptBatch().Operations, .. SharesBatch().Operations,
        // QEMU's virtiofs shares: never planned for Hyper-V, refused with a message if they reach it.
        new AddVmShare("shop-web", "lab0", @"C:\src\shop"), new RemoveVmShare("shop-web", "lab0")];

    /// <summary>What <c>lab up --adopt</c> does first: this project's mark on the lab's switches and VMs; and a changed 'snapshot_type'.</summary>
    public static OperationBatch AdoptBatch() => new("adopt demo", [
        new SetSwitchNotes("demo-nat", Mark),
        new SetVmNotes("web", Mark),
        new SetSnapshotType("web", SnapshotType.ProductionOnly),
    ]);

    /// <summary>Values that would run, end a literal, or end a comment if they were not quoted correctly.</summary>
    public static readonly string[] Hostile =
    [
        "it's",
        "it\u2019s",                              // RIGHT SINGLE QUOTATION MARK: a single quote to PowerShell
        "\u2018quoted\u2019",
        "\u201Alow\u201B",
        "''",
        "$(whoami)",
        "${env:PATH}",
        "$null",
        "`whoami`",
        "a`nb",
        "a;b",
        "line1\nline2",
        "cr\rlf\r\n",
        "x\nStop-Computer -Force\n# ",
        "#not a comment",
        "\"double\" $(Stop-Computer)",
        "@'\nhere\n'@",
        "@\"\n$(Stop-Computer)\n\"@",
        "'; Stop-Computer; '",
        "\u2019; Stop-Computer; \u2018",
        "' + $(Stop-Computer) + '",
        "\u0451\u0451\u0451",                     // ё: UTF-8 D1 91, and 0x91 is ‘ in Windows-1252
        "nel\u0085ls\u2028ps\u2029end",
        "emoji \U0001F600 \u00E9t\u00E9",
        "tab\there",
    ];

    /// <summary>The hostile values that can also be Hyper-V object names (no wildcard characters).</summary>
    public static IEnumerable<string> HostileNames => Hostile.Where(h => h.IndexOfAny(['*', '?', '[', ']', '`']) < 0);

    /// <summary>A batch in which every string a script carries is <paramref name="value"/> (names only where allowed).</summary>
    public static OperationBatch HostileBatch(string value)
    {
        var name = value.IndexOfAny(['*', '?', '[', ']', '`']) < 0 ? value : "plain";
        return new OperationBatch(value, [
            new CreateSwitch(name, SwitchKind.Internal, null, value),
            new CreateSwitch(name, SwitchKind.External, name, value),
            new AssignHostIp(name, Ip("10.9.0.1"), 24),
            new CreateNat(name, Ipv4Subnet.Parse("10.9.0.0/16")),
            new AddPortMapping(name, PortProtocol.Tcp, Ip("0.0.0.0"), 8080, Ip("10.9.0.5"), 80),
            new RemovePortMapping(name, PortProtocol.Tcp, Ip("0.0.0.0"), 8080, Ip("10.9.0.5"), 80),
            new CreateDisk(name, value, value),
            new CreateVm(name, 2, ByteSize.GiB, value, value, value),
            new SetVmHardware(name, 1, ByteSize.GiB),
            new AddVmAdapter(name, name, name, MacAddress.Parse("02-00-00-00-00-01")),
            new ConnectVmAdapter(name, name, name),
            new RemoveVmAdapter(name, name),
            new AttachSeed(name, value),
            new AttachSeed(name, value, new SeedDrive.Holding(value)),
            new DisableAutomaticSnapshots(name),
            new SetSnapshotType(name, SnapshotType.Production),
            new SetFirmware(name, true, value, value),
            new StartVm(name),
            new StopVm(name, false),
            new RemoveVm(name),
            new RemoveFile(name, value),
            new RemoveSwitch(name),
            new RemoveNat(name),
        ]);
    }
}
