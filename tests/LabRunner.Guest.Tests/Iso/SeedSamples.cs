using System.Text;
using LabRunner.Guest.Iso;

namespace LabRunner.Guest.Tests.Iso;

/// <summary>Inputs shared by the seed ISO tests.</summary>
internal static class SeedSamples
{
    public static readonly DateTimeOffset Timestamp = new(2025, 3, 14, 15, 9, 26, 530, TimeSpan.Zero);

    public static IsoFile Text(string name, string content) => new(name, Encoding.UTF8.GetBytes(content));

    /// <summary>Deterministic, non-repeating bytes so a misplaced sector shows up as a mismatch.</summary>
    public static IsoFile Binary(string name, int length)
    {
        var bytes = new byte[length];
        uint state = (uint)length * 2654435761u + (uint)name.Length;
        for (var i = 0; i < length; i++)
        {
            state = state * 1664525u + 1013904223u;
            bytes[i] = (byte)(state >> 24);
        }
        return new IsoFile(name, bytes);
    }

    /// <summary>A NoCloud seed: the three files cloud-init reads.</summary>
    public static IsoFile[] CloudInit() =>
    [
        Text("meta-data", "instance-id: web-1\nlocal-hostname: web-1\n"),
        Text("user-data", "#cloud-config\nusers:\n  - name: lab\n    groups: [sudo]\n"),
        Text("network-config", "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n"),
    ];

    /// <summary>Every awkward case at once: mixed case, empty, exactly one sector, more than two sectors.</summary>
    public static IsoFile[] Mixed() =>
    [
        .. CloudInit(),
        Text("Autounattend.xml", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<unattend xmlns=\"urn:schemas-microsoft-com:unattend\"/>\n"),
        Text("unattend.xml", "<unattend/>\n"),
        new IsoFile("empty", ReadOnlyMemory<byte>.Empty),
        Binary("exactly-one-sector.bin", 2048),
        Binary("five-thousand.bin", 5000),
    ];
}
