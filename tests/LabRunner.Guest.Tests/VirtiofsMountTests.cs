using System.Diagnostics;
using System.Runtime.Versioning;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;
using LabRunner.Guest.Tests.Iso;
using LabRunner.Guest.Tests.Tools;
using YamlDotNet.RepresentationModel;

namespace LabRunner.Guest.Tests;

/// <summary>
/// A VM's 'type: virtiofs' synced folders are mounted by the seed's user-data at every boot: a bootcmd entry
/// <c>[sh, -c, script, labrunner-virtiofs, TAG, DIR, …]</c>. The script is run with the real <c>sh</c> against fake
/// <c>mount</c>/<c>mountpoint</c> commands that record what they are asked.
/// </summary>
[UnsupportedOSPlatform("windows")]
public class VirtiofsMountTests
{
    private static VmPlan VmWithFolders()
    {
        var vm = Labs.Vm(Labs.SingleNat);
        return vm with
        {
            SyncedFolders =
            [
                new SyncedFolderPlan(0, "./site", "/var/www/my site", SyncedFolderType.Virtiofs, [], vm.User, vm.User),
                new SyncedFolderPlan(1, ".", "/srv/app", SyncedFolderType.Push, [], vm.User, vm.User),
                new SyncedFolderPlan(2, "./data", "/srv/data", SyncedFolderType.Virtiofs, [], vm.User, vm.User),
            ],
        };
    }

    private static string UserDataText(VmPlan vm)
    {
        var result = new GuestConfigRenderer().Render(Labs.Plan(Labs.SingleNat).Lab, vm, Labs.Secrets);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return result[GuestConfigRenderer.UserDataFile].Text;
    }

    private static YamlMappingNode Parse(string text)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(text));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    /// <summary>The bootcmd entry named labrunner-virtiofs as [script, name, args…], or null.</summary>
    private static string[]? MountEntry(string userData)
    {
        var bootcmd = (YamlSequenceNode)Parse(userData)["bootcmd"];
        var entry = bootcmd.OfType<YamlSequenceNode>().FirstOrDefault(e => e.Children.Count > 3 && e[3] is YamlScalarNode { Value: "labrunner-virtiofs" });
        return entry?.Select(n => ((YamlScalarNode)n).Value!).Skip(2).ToArray();
    }

    [Fact]
    public void Each_virtiofs_folder_is_mounted_by_its_tag_at_every_boot_and_push_folders_are_not()
    {
        var entry = MountEntry(UserDataText(VmWithFolders()));

        Assert.NotNull(entry);
        Assert.Equal(["labrunner-virtiofs", "lab0", "/var/www/my site", "lab2", "/srv/data"], entry[1..]);
        Assert.Contains("mount -t virtiofs \"$tag\" \"$dir\"", entry[0], StringComparison.Ordinal);
        // bootcmd runs at every boot, and the derived module lists keep it.
        Assert.Contains("cloud_init_modules: [", UserDataText(VmWithFolders()), StringComparison.Ordinal);
        var modules = (YamlSequenceNode)Parse(UserDataText(VmWithFolders()))["cloud_init_modules"];
        Assert.Contains(modules, m => m is YamlScalarNode { Value: "bootcmd" });
    }

    [Fact]
    public void A_vm_without_virtiofs_folders_gets_no_mount_entry()
    {
        Assert.Null(MountEntry(UserDataText(Labs.Vm(Labs.SingleNat))));
    }

    [ToolFact("cloud-init")]
    public void User_data_with_virtiofs_folders_passes_the_cloud_config_schema()
    {
        using var folder = new TempDirectory();
        var file = folder.File("user-data");
        File.WriteAllText(file, UserDataText(VmWithFolders()));

        var run = ExternalTool.Run("cloud-init", "schema", "--config-file", file);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Valid cloud-config", run.StandardOutput, StringComparison.Ordinal);
    }

    [ToolFact("sh")]
    public void The_script_mounts_each_share_skips_a_mounted_folder_and_a_failed_mount_does_not_fail_the_boot()
    {
        using var root = new TempDirectory();
        var entry = MountEntry(UserDataText(VmWithFolders()))!;
        var log = root.File("calls");
        var mounted = root.File("dir-mounted");
        Directory.CreateDirectory(mounted);
        var unmounted = root.File("new dir");
        var failing = root.File("failing");
        // Fakes: mountpoint says only 'dir-mounted' is one; mount records its argv and fails for tag 'bad'.
        var run = RunSh(root, log, mounted, ["-c", entry[0], "labrunner-virtiofs", "lab0", unmounted, "lab1", mounted, "bad", failing]);

        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.Equal([$"mount -t virtiofs lab0 {unmounted}", $"mount -t virtiofs bad {failing}"], File.ReadAllLines(log));
        Assert.True(Directory.Exists(unmounted));
        Assert.Contains($"could not mount share bad on {failing}", run.StandardError, StringComparison.Ordinal);
    }

    private static (int ExitCode, string StandardError) RunSh(TempDirectory root, string log, string mountedDir, string[] args)
    {
        var bin = Directory.CreateDirectory(root.File("bin")).FullName;
        foreach (var tool in new[] { "sh", "mkdir" })
            File.CreateSymbolicLink(Path.Combine(bin, tool), ExternalTool.Find(tool) ?? throw new InvalidOperationException(ExternalTool.MissingMessage(tool)));
        WriteExecutable(Path.Combine(bin, "mountpoint"), $"#!/bin/sh\n[ \"$2\" = '{mountedDir}' ]\n");
        WriteExecutable(Path.Combine(bin, "mount"), $"#!/bin/sh\necho \"mount $*\" >> '{log}'\n[ \"$3\" != bad ]\n");
        var startInfo = new ProcessStartInfo(ExternalTool.Find("sh")!) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args) startInfo.ArgumentList.Add(arg);
        startInfo.Environment.Clear();
        startInfo.Environment["PATH"] = bin;
        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "the mount script did not finish");
        _ = stdout.Result;
        return (process.ExitCode, stderr);
    }

    private static void WriteExecutable(string path, string text)
    {
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
