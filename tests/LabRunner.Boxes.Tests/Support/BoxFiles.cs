using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

using LabRunner.Tests.Shared;

namespace LabRunner.Boxes.Tests.Support;

/// <summary>A throw-away folder with disks made by qemu-img and Vagrant .box files made with the BCL's archive writers.</summary>
public sealed class BoxFiles : IDisposable
{
    public BoxFiles()
    {
        Root = Path.Combine(Path.GetTempPath(), "labrunner-boxes-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(string name) => Path.Combine(Root, name);

    /// <summary>A disk made by <c>qemu-img create -f FORMAT</c> (vhdx, qcow2, vpc), <paramref name="size"/> as qemu-img reads it.</summary>
    public async Task<string> DiskAsync(string name, string format, string size = "64M")
    {
        var path = PathOf(name);
        await HostTools.RunAsync("qemu-img", "create", "-q", "-f", format, path, size);
        return path;
    }

    /// <summary>A raw disk of random bytes (big enough to be cut mid-way).</summary>
    public string RandomRaw(string name, int bytes, int seed = 7)
    {
        var data = new byte[bytes];
        new Random(seed).NextBytes(data);
        var path = PathOf(name);
        File.WriteAllBytes(path, data);
        return path;
    }

    public static string Metadata(string provider, string? architecture = "amd64") =>
        architecture is null ? $$"""{"provider":"{{provider}}"}""" : $$"""{"provider":"{{provider}}","architecture":"{{architecture}}","format":"qcow2"}""";

    /// <summary>A Vagrant box: <c>metadata.json</c> plus the disk under the name the provider uses (hyperv: Virtual Hard Disks/NAME; libvirt: box.img).</summary>
    public string Box(string name, string kind, string metadata, string disk, string entryName)
    {
        var path = PathOf(name);
        File.Delete(path);
        var vagrantfile = Encoding.UTF8.GetBytes("Vagrant.configure(\"2\") do |config|\nend\n");
        if (kind == "zip")
        {
            using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
            Add(zip, "metadata.json", Encoding.UTF8.GetBytes(metadata));
            Add(zip, "Vagrantfile", vagrantfile);
            zip.CreateEntryFromFile(disk, entryName, CompressionLevel.Fastest);
            return path;
        }
        using var file = File.Create(path);
        using var gzip = kind == "tar.gz" ? new GZipStream(file, CompressionLevel.Fastest) : null;
        using (var tar = new TarWriter(gzip ?? (Stream)file, TarEntryFormat.Pax, leaveOpen: true))
        {
            // The disk first: metadata.json may come after it, and the reader must cope.
            tar.WriteEntry(disk, "./" + entryName);
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "./Vagrantfile") { DataStream = new MemoryStream(vagrantfile) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "./metadata.json") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(metadata)) });
        }
        return path;
    }

    private static void Add(ZipArchive zip, string name, byte[] content)
    {
        using var s = zip.CreateEntry(name).Open();
        s.Write(content);
    }

    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>A store in a throw-away LABRUNNER_HOME, and the service over it.</summary>
public sealed class TestStore : IDisposable
{
    public TestStore()
    {
        Home = Path.Combine(Path.GetTempPath(), "labrunner-home-" + Guid.NewGuid().ToString("N"));
        Store = BoxStore.ForHome(Home);
        Service = NewService();
    }

    public string Home { get; }

    public BoxStore Store { get; }

    public BoxService Service { get; }

    public static readonly HttpClient Http = Downloader.CreateClient();

    /// <summary>Another service over the same store (as another lab process would have).</summary>
    public BoxService NewService() => new(BoxStore.ForHome(Home), new Downloader(Http), new DiskTool(HostTools.Runner), TimeProvider.System) { Targets = BoxTarget.All };

    /// <summary>Every file under the store's temporary folder (partial downloads, staging).</summary>
    public IEnumerable<string> TempFiles() => Directory.Exists(Store.TempFolder)
        ? Directory.EnumerateFileSystemEntries(Store.TempFolder, "*", SearchOption.AllDirectories)
        : [];

    public void Dispose()
    {
        try { Directory.Delete(Home, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>Collects progress; can cancel a token once a number of bytes arrived.</summary>
public sealed class RecordingReporter : IBoxReporter
{
    public List<TransferProgress> Reports { get; } = [];

    public List<string> Notes { get; } = [];

    public Action<TransferProgress>? OnProgress { get; init; }

    public void Progress(TransferProgress progress)
    {
        lock (Reports) Reports.Add(progress);
        OnProgress?.Invoke(progress);
    }

    public void Note(string message)
    {
        lock (Notes) Notes.Add(message);
    }
}

/// <summary>The box targets of the real providers, as their descriptors give them (Hyper-V's first, as in the catalog).</summary>
internal static class BoxTarget
{
    public static LabRunner.Core.Providers.BoxSupport HyperV => LabRunner.Providers.HyperV.HyperVProviderDescriptor.BoxSupport;

    public static LabRunner.Core.Providers.BoxSupport Qemu => LabRunner.Providers.Qemu.QemuProviderDescriptor.BoxSupport;

    public static IReadOnlyList<LabRunner.Core.Providers.BoxSupport> All { get; } = [HyperV, Qemu];
}
