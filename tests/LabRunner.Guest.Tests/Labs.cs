using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Providers.HyperV;

namespace LabRunner.Guest.Tests;

/// <summary>Labfiles the tests render, and the plan each one gives.</summary>
internal static class Labs
{
    /// <summary>A fixed public key, so golden files never change with a generated one.</summary>
    public const string TestKey = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBM8qpjW0hqIR5kZbTn8m52oxAX33TdurPgmRs1OvzAbWsqdrup+/nVEdl/ttKRseDFqWEs5Kcgs2MZYfWJ1ZBz0= labrunner@golden";

    public const string TestPassword = "Pa$$w0rd<>&\"'";

    public static GuestSecrets Secrets { get; } = new(TestKey, TestPassword);

    public const string SingleNat = """
        name: single
        boxes:
          ubuntu: boxes/ubuntu.vhdx
        networks:
          - name: lan
            type: nat
            subnet: 10.188.7.0/24
        vms:
          - name: web
            box: ubuntu
            networks: [lan]
        """;

    public const string MultiNic = """
        name: multi
        boxes:
          ubuntu: boxes/ubuntu.vhdx
        networks:
          - name: frontend
            type: nat
            dns: [1.1.1.1, 9.9.9.9]
          - name: backend
            type: private
            subnet: 192.168.60.0/24
          - name: storage
            type: isolated
            subnet: 172.31.200.0/24
          - name: heartbeat
            type: isolated
          - name: office
            type: bridged
            adapter: Ethernet
        vms:
          - name: app
            box: ubuntu
            networks:
              - frontend
              - network: backend
                ip: 192.168.60.10
              - storage
              - heartbeat
              - office
        """;

    public const string BridgedDhcp = """
        name: office
        boxes:
          ubuntu: boxes/ubuntu.vhdx
        networks:
          - name: lan
            type: bridged
            adapter: Ethernet
        vms:
          - name: desk
            box: ubuntu
            networks: [lan]
        """;

    public const string BridgedStatic = """
        name: rack
        boxes:
          ubuntu: boxes/ubuntu.vhdx
        networks:
          - name: lan
            type: bridged
            adapter: Ethernet 2
            subnet: 192.168.1.0/24
            gateway: 192.168.1.1
            dns: [192.168.1.1]
          - name: back
            type: private
            subnet: 192.168.61.0/24
        vms:
          - name: srv
            box: ubuntu
            hostname: srv.rack.example
            networks:
              - network: lan
                ip: 192.168.1.50
              - back
        """;

    /// <summary>MACs made only of digits: unquoted, YAML 1.1 reads 52:54:00:12:34:56 as a base-60 integer.</summary>
    public const string DigitMacs = """
        name: digits
        boxes:
          ubuntu: boxes/ubuntu.vhdx
        networks:
          - name: lan
            type: nat
            subnet: 10.188.9.0/24
          - name: back
            type: private
            subnet: 192.168.70.0/24
        vms:
          - name: m
            box: ubuntu
            networks:
              - network: lan
                mac: "02:12:34:56:78:90"
              - network: back
                mac: 52:54:00:12:34:56
        """;

    public const string Windows = """
        name: winlab
        boxes:
          win2022:
            path: boxes/win2022.vhdx
            os: windows
        networks:
          - name: frontend
            type: nat
            subnet: 10.188.20.0/24
          - name: backend
            type: private
            subnet: 192.168.80.0/24
          - name: office
            type: bridged
            adapter: Ethernet
        vms:
          - name: dc1
            box: win2022
            networks:
              - frontend
              - network: backend
                ip: 192.168.80.5
              - office
        """;

    /// <summary>Every Linux lab above, for tests that hold for any of them.</summary>
    public static TheoryData<string> LinuxLabs => new() { SingleNat, MultiNic, BridgedDhcp, BridgedStatic, DigitMacs };

    /// <summary>Where <paramref name="marker"/> starts in a Labfile, as a diagnostic would point at it.</summary>
    public static LabRunner.Core.Diagnostics.SourceSpan SpanOf(string yaml, string marker, string file = "Labfile.yml")
    {
        var lines = yaml.Split('\n');
        var line = Array.FindIndex(lines, l => l.Contains(marker, StringComparison.Ordinal));
        Assert.True(line >= 0, $"'{marker}' is not in the Labfile");
        return new(file, line + 1, lines[line].IndexOf(marker, StringComparison.Ordinal) + 1);
    }

    public static LabPlan Plan(string yaml)
    {
        var result = LabfileLoader.LoadAndPlan(new SourceText("Labfile.yml", yaml), null, LabContext.For(HyperVRules.Instance));
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return result.Plan!;
    }

    public static VmPlan Vm(string yaml, int index = 0) => Plan(yaml).Vms[index];

    public static GuestRenderResult Render(string yaml, int vmIndex = 0, GuestConfigRenderer? renderer = null)
    {
        var plan = Plan(yaml);
        var result = (renderer ?? new GuestConfigRenderer()).Render(plan.Lab, plan.Vms[vmIndex], Secrets);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return result;
    }
}
