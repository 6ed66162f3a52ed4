using LabRunner.Core.Hosting;
using LabRunner.Core.Net;

namespace LabRunner.Providers.HyperV.Tests.Support;

internal static partial class Samples
{
    /// <summary>A password that must never be seen in a script, a transcript or a message.</summary>
    public const string SharePassword = "Zq7-NeverPrintMe-41xK";

    /// <summary>Every operation of 'type: smb' synced folders: what 'up' makes, a password set again, and what 'down' removes.</summary>
    public static OperationBatch SharesBatch() => new("shares demo", [
        new CreateShareAccount("lab1a2b3c4d", Mark, "LabRunner synced folders of lab demo", new HostSecret(SharePassword)),
        new SetShareAccountPassword("lab1a2b3c4d", new HostSecret(SharePassword + "2")),
        new AllowShareTraffic("LabRunner SMB demo-nat", "demo-nat", Ip("172.30.1.1"), Ipv4Subnet.Parse("172.30.1.0/24"), Mark),
        new CreateShare("demo-web-lab0", @"C:\src\demo\site", "lab1a2b3c4d", Mark),
        new RemoveShare("demo-web-lab0", @"C:\src\demo\site", "lab1a2b3c4d"),
        new RemoveShareTraffic("LabRunner SMB demo-nat"),
        new RemoveShareAccount("lab1a2b3c4d"),
    ]);

    /// <summary>The share operations with every free value (paths, descriptions, names where allowed) <paramref name="value"/>.</summary>
    public static OperationBatch HostileSharesBatch(string value)
    {
        var name = value.IndexOfAny(['*', '?', '[', ']', '`']) < 0 ? value : "plain";
        return new OperationBatch(value, [
            new CreateShareAccount(name, value, value, new HostSecret(value.Length == 0 ? "x" : value)),
            new SetShareAccountPassword(name, new HostSecret(value.Length == 0 ? "x" : value)),
            new AllowShareTraffic(name, name, Ip("10.9.0.1"), Ipv4Subnet.Parse("10.9.0.0/24"), value),
            new CreateShare(name, value, name, value),
            new RemoveShare(name, value, name),
            new RemoveShareTraffic(name),
            new RemoveShareAccount(name),
        ]);
    }
}
