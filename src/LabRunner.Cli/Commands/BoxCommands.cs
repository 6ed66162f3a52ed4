using System.CommandLine;
using System.Text.Json;
using LabRunner.Boxes;
using LabRunner.Cli.Rendering;
using LabRunner.Core.Boxes;
using LabRunner.Core.Providers;
using LabRunner.HostCommon.Running;
using Spectre.Console;

namespace LabRunner.Cli.Commands;

/// <summary>
/// <c>lab box add|list|remove|outdated|update|prune</c>: the user's box store (LABRUNNER_HOME/boxes).
/// Boxes are installed for a provider: a .box for the one its metadata.json names, a bare disk for the active
/// one, or either for an explicit --provider. Hyper-V (and the simulated host) keep VHDX/VHD, converting other
/// formats once at add time; QEMU keeps any format as it is.
/// </summary>
public static class BoxCommands
{
    private static readonly HttpClient Http = Downloader.CreateClient();

    public static Command Create(GlobalOptions global, CliEnvironment env)
    {
        var box = new Command("box", "Manage the box store: base disks that VMs get a differencing disk (or overlay) on, from Vagrant .box files, catalogs or bare disks.");
        box.Add(Add(global, env));
        box.Add(List(global, env));
        box.Add(Remove(global, env));
        box.Add(Outdated(global, env));
        box.Add(Update(global, env));
        box.Add(Prune(global, env));
        return box;
    }

    /// <summary>The store and service for this environment (LABRUNNER_HOME, else the platform's default), installing boxes for <paramref name="targets"/>.</summary>
    public static BoxService Service(CliEnvironment env, IReadOnlyList<BoxSupport> targets) =>
        new(BoxStore.ForHome(BoxStore.DefaultHome(env.GetVariable)), new Downloader(Http), new DiskTool(new HostCommon.Tracing.TracingHostCommandRunner(new CliWrapHostCommandRunner(), env.Trace)), TimeProvider.System) { Targets = targets };

    private static BoxService Service(CliEnvironment env, GlobalOptions global) => Service(env, [.. global.Providers.BoxSupports]);

    /// <summary>
    /// Which provider's boxes a command line adds and uses: --provider or LABRUNNER_PROVIDER (the simulated host's are
    /// Hyper-V's); without either, the default provider's here, else this OS's own (hyperv on Windows, qemu elsewhere).
    /// </summary>
    public static BoxSupport Target(ParseResult parse, GlobalOptions global, CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(global);
        ArgumentNullException.ThrowIfNull(env);
        return global.Providers.BoxesFor(parse.GetValue(global.Provider), env.ForProviders);
    }

    private static Command Add(GlobalOptions global, CliEnvironment env)
    {
        var command = new Command("add", "Add a box from a Vagrant .box (tar, tar.gz, zip; hyperv or libvirt), a bare disk (vhdx, vhd, qcow2, raw) or a Vagrant catalog, by local path or http(s) URL. Downloads resume, and are verified before anything is installed. " +
            "A .box is stored for the provider its metadata.json names (hyperv; libvirt and qemu boxes for qemu), whichever provider is active; " +
            "--provider P stores it for P instead, converting its disk once when P cannot boot it (Hyper-V boots only VHDX and VHD; needs qemu-img). " +
            "A bare disk names no provider: it is stored for --provider, else for this machine's provider (LABRUNNER_PROVIDER, else hyperv on Windows, qemu elsewhere).");
        var name = new Argument<string>("NAME") { Description = "The box's name (as the Labfile's 'box:' names it), or owner/name with --catalog" };
        var source = new Argument<string?>("SOURCE") { Description = "A path, file:// URL or http(s) URL of a .box, a disk or a catalog (JSON)", Arity = ArgumentArity.ZeroOrOne };
        var version = new Option<string?>("--version") { Description = "A catalog: the versions allowed, e.g. '~> 1.2' or '>= 1.0, < 2' (newest that fits is added). A .box or disk: the version to record [0]", HelpName = "V" };
        var checksum = new Option<string?>("--checksum") { Description = "The file's expected digest: md5, sha1, sha256, sha384 or sha512, as ALGO:HEX", HelpName = "ALGO:HEX" };
        var catalog = new Option<string?>("--catalog") { Description = "Read NAME's versions from this Vagrant box catalog (http(s) or file:// URL, or path)", HelpName = "URL" };
        var force = new Option<bool>("--force") { Description = "Add again even when this version is already installed" };
        OptionValues.RefuseOptionsAsNames(name);
        command.Add(name);
        command.Add(source);
        command.Add(version);
        command.Add(checksum);
        command.Add(catalog);
        command.Add(force);
        command.SetAction(async (parse, ct) =>
        {
            var from = parse.GetValue(catalog) ?? parse.GetValue(source)
                ?? throw new UsageException("say where the box comes from: lab box add NAME SOURCE, or lab box add owner/name --catalog URL");
            if (parse.GetValue(catalog) is not null && parse.GetValue(source) is not null)
                throw new UsageException("give either SOURCE or --catalog URL, not both");
            var request = new BoxAddRequest(parse.GetValue(name)!, from)
            {
                IsCatalog = parse.GetValue(catalog) is not null,
                Force = parse.GetValue(force),
                // Only an explicit --provider converts a .box for another provider than its own (issue 14.15).
                Target = parse.GetValue(global.Provider) is { } asked ? global.Providers.BoxesFor(asked, env.ForProviders) : null,
                HostTarget = Target(parse, global, env),
            };
            if (parse.GetValue(version) is { } v)
            {
                if (!VersionConstraint.TryParse(v, out var constraint, out var error)) throw new UsageException("--version: " + error);
                request = request with { Version = constraint };
            }
            if (parse.GetValue(checksum) is { } c)
            {
                if (!Checksum.TryParse(c, out var sum, out var error)) throw new UsageException("--checksum: " + error);
                request = request with { Checksum = sum };
            }
            var json = parse.GetValue(global.Json);
            return await Run(async () =>
            {
                var service = Service(env, global);
                var result = await WithProgress(env, json, reporter => service.AddAsync(request, reporter, ct)).ConfigureAwait(false);
                if (json)
                {
                    Json.Emit(env, "box add", result.AlreadyInstalled ? "nothing_to_do" : "done", ExitCodes.Success, null, [], j =>
                    {
                        j.WriteBoolean("already_installed", result.AlreadyInstalled);
                        j.WriteNumber("fetched_bytes", result.Fetched);
                        j.WriteNumber("resumed_bytes", result.Resumed);
                        j.WritePropertyName("box");
                        WriteBox(j, result.Box, service.Store);
                    });
                }
                else
                {
                    var b = result.Box;
                    env.Stdout.WriteLine(result.AlreadyInstalled
                        ? $"Box '{b.Name}' {b.Manifest.Version} ({b.Provider}, {b.Manifest.Format}) is already installed; --force adds it again."
                        : $"Added box '{b.Name}' {b.Manifest.Version} ({b.Provider}, {b.Manifest.Format}{(b.Manifest.ConvertedFrom is { } f ? $", converted from {f}" : "")}, {Sizes.Human(b.Manifest.Size)})" +
                          (b.Manifest.Checksum is not null ? $"; {b.Manifest.Checksum.Split(':')[0]} verified."
                           : BoxSource.IsUrl(b.Manifest.Source, out _) ? "; no checksum was given, so the download was not verified."
                           : "; no checksum was given, so the file was not verified."));
                }
                return ExitCodes.Success;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command List(GlobalOptions global, CliEnvironment env)
    {
        var command = new Command("list", "List the installed boxes: name, version, provider and format, size, and the labs on this machine that use each.");
        command.SetAction(parse =>
        {
            var store = Service(env, global).Store;
            var boxes = store.List();
            if (parse.GetValue(global.Json))
            {
                Json.Emit(env, "box list", "ok", ExitCodes.Success, null, [], j =>
                {
                    j.WriteString("store", store.Root);
                    j.WriteStartArray("boxes");
                    foreach (var b in boxes) WriteBox(j, b, store);
                    j.WriteEndArray();
                });
                return ExitCodes.Success;
            }
            if (boxes.Count == 0)
            {
                env.Stdout.WriteLine($"No boxes in {store.Root}; 'lab box add NAME SOURCE' adds one.");
                return ExitCodes.Success;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Box", "Version", "Provider", "Format", "Size", "In use by");
            foreach (var b in boxes)
            {
                var users = store.UsersOf(b);
                table.AddRow(Markup.Escape(b.Name), Markup.Escape(b.Manifest.Version), b.Provider, b.Manifest.Format, Sizes.Human(b.Manifest.Size),
                    users.Count == 0 ? "-" : Markup.Escape(string.Join(", ", users.Select(u => $"{u.Lab} ({u.Project})"))));
            }
            env.Out.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Remove(GlobalOptions global, CliEnvironment env)
    {
        var command = new Command("remove", "Remove a box (one version, or all). Refused while a lab on this machine uses it, unless --force.");
        var name = new Argument<string>("NAME") { Description = "The box to remove" };
        var version = new Option<string?>("--version") { Description = "Only this version", HelpName = "V" };
        var all = new Option<bool>("--all") { Description = "Every version" };
        var force = new Option<bool>("--force") { Description = "Remove it even though labs use it (their VMs' disks lose their base)" };
        OptionValues.RefuseOptionsAsNames(name);
        command.Add(name);
        command.Add(version);
        command.Add(all);
        command.Add(force);
        command.SetAction(async (parse, ct) =>
        {
            BoxVersion? v = null;
            if (parse.GetValue(version) is { } text && !BoxVersion.TryParse(text, out v))
                throw new UsageException($"--version: '{text}' is not a version such as 1.2.3");
            if (v is not null && parse.GetValue(all)) throw new UsageException("give either --version or --all, not both");
            var json = parse.GetValue(global.Json);
            return await Run(async () =>
            {
                var removed = await Service(env, global).RemoveAsync(parse.GetValue(name)!, v, parse.GetValue(all), parse.GetValue(force), null, ct).ConfigureAwait(false);
                if (json) WriteList(env, "box remove", "removed", removed);
                else foreach (var b in removed) env.Stdout.WriteLine($"Removed box '{b.Name}' {b.Manifest.Version} ({b.Provider}, {b.Manifest.Format}).");
                return ExitCodes.Success;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Outdated(GlobalOptions global, CliEnvironment env)
    {
        var command = new Command("outdated", "Compare each box added from a catalog with the catalog's newest version.");
        command.SetAction(async (parse, ct) =>
        {
            var json = parse.GetValue(global.Json);
            return await Run(async () =>
            {
                var outdated = await Service(env, global).OutdatedAsync(null, ct).ConfigureAwait(false);
                if (json)
                {
                    Json.Emit(env, "box outdated", "ok", ExitCodes.Success, null, [], j =>
                    {
                        j.WriteStartArray("boxes");
                        foreach (var o in outdated)
                        {
                            j.WriteStartObject();
                            j.WriteString("name", o.Name);
                            j.WriteString("provider", o.Provider);
                            j.WriteString("installed", o.Installed.Text);
                            j.WriteStringOrNull("latest", o.Latest?.Text);
                            j.WriteBoolean("outdated", o.Latest is not null && o.Latest > o.Installed);
                            j.WriteString("catalog", o.Catalog);
                            j.WriteStringOrNull("error", o.Error);
                            j.WriteEndObject();
                        }
                        j.WriteEndArray();
                    });
                    return ExitCodes.Success;
                }
                if (outdated.Count == 0) env.Stdout.WriteLine("No box was added from a catalog, so none can be outdated.");
                foreach (var o in outdated)
                {
                    env.Stdout.WriteLine(o.Error is not null ? $"{o.Name} ({o.Provider}) {o.Installed}: could not read its catalog: {o.Error}"
                        : o.Latest is not null && o.Latest > o.Installed ? $"{o.Name} ({o.Provider}) {o.Installed} is outdated: {o.Latest} is available; 'lab box update {o.Name}' adds it."
                        : $"{o.Name} ({o.Provider}) {o.Installed} is the newest.");
                }
                return ExitCodes.Success;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Update(GlobalOptions global, CliEnvironment env)
    {
        var command = new Command("update", "Add the newest version of each box added from a catalog (or of NAME). Older versions stay for the labs pinned to them; 'lab box prune' removes unused ones.");
        var name = new Argument<string?>("NAME") { Description = "Only this box [default: all]", Arity = ArgumentArity.ZeroOrOne };
        OptionValues.RefuseOptionsAsNames(name);
        command.Add(name);
        command.SetAction(async (parse, ct) =>
        {
            var json = parse.GetValue(global.Json);
            return await Run(async () =>
            {
                var service = Service(env, global);
                var added = await WithProgress(env, json, reporter => service.UpdateAsync(parse.GetValue(name), reporter, ct)).ConfigureAwait(false);
                if (json) WriteList(env, "box update", "added", added.Select(a => a.Box));
                else if (added.Count == 0) env.Stdout.WriteLine("Every box is at its catalog's newest version.");
                else foreach (var a in added) env.Stdout.WriteLine($"Added box '{a.Box.Name}' {a.Box.Manifest.Version} ({a.Box.Provider}, {a.Box.Manifest.Format}).");
                return ExitCodes.Success;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Prune(GlobalOptions global, CliEnvironment env)
    {
        var command = new Command("prune", "Remove every box version that no lab on this machine uses and that is not the newest of its box, and what interrupted downloads left behind.");
        var dryRun = new Option<bool>("--dry-run") { Description = "Only say what would be removed" };
        command.Add(dryRun);
        command.SetAction(async (parse, ct) =>
        {
            var json = parse.GetValue(global.Json);
            return await Run(async () =>
            {
                var pruned = await Service(env, global).PruneAsync(parse.GetValue(dryRun), ct).ConfigureAwait(false);
                var removed = pruned.Boxes;
                var would = parse.GetValue(dryRun);
                if (json)
                {
                    Json.Emit(env, "box prune", "done", ExitCodes.Success, null, [], j =>
                    {
                        WriteBoxes(j, would ? "would_remove" : "removed", removed);
                        j.WriteStartArray(would ? "would_remove_leftovers" : "removed_leftovers");
                        foreach (var path in pruned.Leftovers) j.WriteStringValue(path);
                        j.WriteEndArray();
                        j.WriteNumber("leftover_bytes", pruned.LeftoverBytes);
                    });
                    return ExitCodes.Success;
                }
                if (removed.Count == 0 && pruned.Leftovers.Count == 0) env.Stdout.WriteLine("Nothing to prune.");
                foreach (var b in removed) env.Stdout.WriteLine($"{(would ? "Would remove" : "Removed")} box '{b.Name}' {b.Manifest.Version} ({b.Provider}, {b.Manifest.Format}).");
                if (pruned.Leftovers.Count > 0)
                    env.Stdout.WriteLine($"{(would ? "Would remove" : "Removed")} {pruned.Leftovers.Count} leftover(s) of interrupted downloads or adds ({Sizes.Human(pruned.LeftoverBytes)}) from {Path.GetDirectoryName(pruned.Leftovers[0])}.");
                return ExitCodes.Success;
            }).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>A bar with rate and ETA on a terminal; plain lines otherwise; nothing with --json.</summary>
    public static async Task<T> WithProgress<T>(CliEnvironment env, bool json, Func<IBoxReporter, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(work);
        if (json) return await work(NullBoxReporter.Instance).ConfigureAwait(false);
        if (!LiveReporter.Suits(env)) return await work(new PlainBoxReporter(env)).ConfigureAwait(false);
        return await LiveBoxReporter.RunAsync(env, async reporter =>
        {
            var result = await work(reporter).ConfigureAwait(false);
            ((LiveBoxReporter)reporter).Complete();
            return result;
        }).ConfigureAwait(false);
    }

    /// <summary>Runs a box command's body; a <see cref="BoxException"/> is mapped to its exit code once, by <see cref="LabApp"/>.</summary>
    private static Task<int> Run(Func<Task<int>> body) => body();

    /// <summary>A box failure's exit code and JSON outcome: 2 for a wrong request or an unknown box, 3 for a source that failed (checksum, network, format), 4 for a box in use.</summary>
    public static (int Code, string Outcome) ExitOf(BoxErrorKind kind) => kind switch
    {
        BoxErrorKind.Usage or BoxErrorKind.NotFound => (ExitCodes.Usage, "usage_error"),
        BoxErrorKind.InUse => (ExitCodes.Conflict, "in_use"),
        BoxErrorKind.ChecksumMismatch => (ExitCodes.HostFailure, "checksum_mismatch"),
        BoxErrorKind.Damaged => (ExitCodes.HostFailure, "store_damaged"),
        _ => (ExitCodes.HostFailure, "source_failed"),
    };

    private static void WriteList(CliEnvironment env, string command, string key, IEnumerable<InstalledBox> boxes)
    {
        Json.Emit(env, command, "done", ExitCodes.Success, null, [], j =>
        {
            WriteBoxes(j, key, boxes);
        });
    }

    private static void WriteBoxes(Utf8JsonWriter j, string key, IEnumerable<InstalledBox> boxes)
    {
        j.WriteStartArray(key);
        foreach (var b in boxes)
        {
            j.WriteStartObject();
            j.WriteString("name", b.Name);
            j.WriteString("version", b.Manifest.Version);
            j.WriteString("provider", b.Provider);
            j.WriteString("format", b.Manifest.Format);
            j.WriteEndObject();
        }
        j.WriteEndArray();
    }

    private static void WriteBox(Utf8JsonWriter j, InstalledBox b, BoxStore store)
    {
        var m = b.Manifest;
        j.WriteStartObject();
        j.WriteString("name", m.Name);
        j.WriteString("version", m.Version);
        j.WriteString("provider", m.Provider);
        j.WriteString("format", m.Format);
        j.WriteString("disk", b.DiskPath);
        j.WriteNumber("size", m.Size);
        if (m.VirtualSize is { } vs) j.WriteNumber("virtual_size", vs);
        else j.WriteNull("virtual_size");
        j.WriteStringOrNull("architecture", m.Architecture);
        j.WriteString("source", m.Source);
        j.WriteStringOrNull("checksum", m.Checksum);
        j.WriteStringOrNull("catalog", m.Catalog);
        j.WriteStringOrNull("converted_from", m.ConvertedFrom);
        j.WriteStartArray("used_by");
        foreach (var u in store.UsersOf(b))
        {
            j.WriteStartObject();
            j.WriteString("lab", u.Lab);
            j.WriteString("project", u.Project);
            j.WriteEndObject();
        }
        j.WriteEndArray();
        j.WriteEndObject();
    }
}
