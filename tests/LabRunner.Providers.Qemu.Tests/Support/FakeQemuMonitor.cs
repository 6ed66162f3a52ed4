using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using LabRunner.Providers.Qemu.Qmp;

namespace LabRunner.Providers.Qemu.Tests.Support;

/// <summary>
/// The QMP monitor of one running QEMU as the snapshot code sees it, answering as QEMU 7.2 does (the shapes were taken
/// from a real one): <c>query-block</c> with the drives the command line gives (pflash0, pflash1, disk0, seed) and the
/// disk's snapshots, snapshot jobs that run for <see cref="JobPolls"/> <c>query-jobs</c> before they conclude (with
/// <c>JOB_STATUS_CHANGE</c> events), <c>job-dismiss</c>, <c>stop</c>/<c>cont</c>/<c>query-status</c>.
/// </summary>
public sealed class FakeQemuMonitor
{
    private readonly Dictionary<string, (string Status, string? Error, int PollsLeft)> _jobs = new(StringComparer.Ordinal);
    private readonly Channel<QmpEvent> _events = Channel.CreateUnbounded<QmpEvent>();

    /// <summary>Every command sent, with its arguments as JSON (null for none), queries included.</summary>
    public List<(string Command, string? Arguments)> Sent { get; } = [];

    /// <summary>The commands that are not <c>query-*</c>, as "command {arguments}".</summary>
    public IEnumerable<string> Changes => Sent.Where(s => !s.Command.StartsWith("query-", StringComparison.Ordinal)).Select(s => s.Arguments is null ? s.Command : $"{s.Command} {s.Arguments}");

    public string Status { get; set; } = "running";

    /// <summary>The format driver of the UEFI variables' drive; null for a BIOS VM (no pflash at all).</summary>
    public string? VarsDriver { get; set; } = "qcow2";

    /// <summary>The disk's snapshots: (name, vm-state-size).</summary>
    public List<(string Name, long VmStateSize)> Snapshots { get; } = [];

    /// <summary>How many <c>query-jobs</c> see a job running before it concludes.</summary>
    public int JobPolls { get; set; } = 2;

    /// <summary>The error a job of this command and tag concludes with (null: it succeeds).</summary>
    public Func<string, string, string?> JobError { get; set; } = (_, _) => null;

    /// <summary>Whether a job event is sent when a job concludes (false: only query-jobs finds out).</summary>
    public bool EmitEvents { get; set; } = true;

    public IQmpSession Open() => new Session(this);

    private JsonElement Handle(string command, JsonObject? arguments)
    {
        Sent.Add((command, arguments?.ToJsonString()));
        switch (command)
        {
            case "query-status":
                return Json($$"""{"status": "{{Status}}", "singlestep": false, "running": {{(Status == "running" ? "true" : "false")}}}""");
            case "stop":
                Status = "paused";
                return Json("{}");
            case "cont":
                Status = "running";
                return Json("{}");
            case "query-block":
                return Json(QueryBlock());
            case "snapshot-save" or "snapshot-load" or "snapshot-delete":
            {
                var id = (string)arguments!["job-id"]!;
                var tag = (string)arguments["tag"]!;
                var error = JobError(command, tag);
                if (error is null && command == "snapshot-save") Snapshots.Add((tag, 277225112));
                if (error is null && command == "snapshot-delete") Snapshots.RemoveAll(s => s.Name == tag);
                _jobs[id] = ("running", error, JobPolls);
                Event(id, "created");
                Event(id, "running");
                return Json("{}");
            }
            case "query-jobs":
            {
                foreach (var id in _jobs.Keys.ToList())
                {
                    var job = _jobs[id];
                    if (job.Status == "running" && job.PollsLeft <= 0)
                    {
                        _jobs[id] = job with { Status = "concluded" };
                        if (EmitEvents) Event(id, "concluded");
                    }
                    else
                    {
                        _jobs[id] = job with { PollsLeft = job.PollsLeft - 1 };
                    }
                }
                var list = new JsonArray();
                foreach (var (id, job) in _jobs)
                {
                    var o = new JsonObject { ["current-progress"] = 1, ["status"] = job.Status, ["total-progress"] = 1, ["type"] = "snapshot", ["id"] = id };
                    if (job.Status == "concluded" && job.Error is not null) o["error"] = job.Error;
                    list.Add(o);
                }
                return Json(list.ToJsonString());
            }
            case "job-dismiss":
            {
                var id = (string)arguments!["id"]!;
                if (!_jobs.TryGetValue(id, out var job) || job.Status != "concluded")
                    throw new QmpCommandException(command, "GenericError", $"Job '{id}' in state '{job.Status}' cannot accept command verb 'dismiss'");
                _jobs.Remove(id);
                return Json("{}");
            }
            default:
                throw new QmpCommandException(command, "CommandNotFound", $"The command {command} has not been found");
        }
    }

    /// <summary>How many jobs QEMU still holds (not dismissed).</summary>
    public int JobsLeft => _jobs.Count;

    private string QueryBlock()
    {
        var snapshots = string.Join(", ", Snapshots.Select((s, i) =>
            $$"""{"vm-clock-nsec": 101611344, "name": "{{s.Name}}", "date-sec": {{1796449179 + i}}, "date-nsec": 958405000, "vm-clock-sec": 60, "id": "{{i + 1}}", "vm-state-size": {{s.VmStateSize}}}"""));
        var pflash = VarsDriver is null ? "" : $$$"""
            {"device": "pflash0", "locked": false, "removable": false, "inserted": {"ro": true, "drv": "raw", "node-name": "#block167", "file": "/usr/share/OVMF/OVMF_CODE_4M.fd", "image": {"virtual-size": 4194304, "filename": "/usr/share/OVMF/OVMF_CODE_4M.fd", "format": "raw"}}, "type": "unknown"},
            {"device": "pflash1", "locked": false, "removable": false, "inserted": {"ro": false, "drv": "{{{VarsDriver}}}", "node-name": "#block350", "file": "/lab/OVMF_VARS.qcow2", "image": {"virtual-size": 540672, "filename": "/lab/OVMF_VARS.qcow2", "format": "{{{VarsDriver}}}"}}, "type": "unknown"},
            """;
        return $$$"""
            [{{{pflash}}}
            {"device": "disk0", "locked": false, "removable": false, "inserted": {"ro": false, "drv": "qcow2", "node-name": "#block539", "file": "/lab/disk.qcow2", "image": {"virtual-size": 2147483648, "filename": "/lab/disk.qcow2", "format": "qcow2", "snapshots": [{{{snapshots}}}]}}, "type": "unknown"},
            {"device": "seed", "locked": false, "removable": true, "tray_open": false, "inserted": {"ro": true, "drv": "raw", "node-name": "#block937", "file": "/lab/seed.iso", "image": {"virtual-size": 1048576, "filename": "/lab/seed.iso", "format": "raw"}}, "type": "unknown"}]
            """;
    }

    private void Event(string id, string status)
    {
        using var data = JsonDocument.Parse($$"""{"status": "{{status}}", "id": "{{id}}"}""");
        _events.Writer.TryWrite(new QmpEvent("JOB_STATUS_CHANGE", data.RootElement.Clone(), DateTimeOffset.UnixEpoch));
    }

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    private sealed class Session(FakeQemuMonitor monitor) : IQmpSession
    {
        public Task<JsonElement> ExecuteAsync(string command, JsonObject? arguments, CancellationToken cancellationToken) =>
            Task.FromResult(monitor.Handle(command, arguments));

        public async Task<QmpEvent?> WaitForEventAsync(string name, CancellationToken cancellationToken)
        {
            while (await monitor._events.Reader.WaitToReadAsync(cancellationToken))
            {
                if (monitor._events.Reader.TryRead(out var e) && e.Name == name) return e;
            }
            return null;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>
/// qcow2 images' internal snapshots as <c>qemu-img snapshot</c> and <c>qemu-img info --output=json</c> keep them
/// (qemu-img 7.2's answers and messages), for a <see cref="FakeHostCommandRunner"/>.
/// </summary>
public sealed class FakeImageSnapshots
{
    public Dictionary<string, List<string>> Images { get; } = new(StringComparer.Ordinal);

    public List<string> Of(string image) => Images.TryGetValue(image, out var list) ? list : Images[image] = [];

    public HostCommon.Running.HostCommandResult? Respond(HostCommon.Running.HostCommand command)
    {
        if (command.Executable != "qemu-img") return null;
        var a = command.Arguments;
        if (a[0] == "info")
        {
            var snapshots = string.Join(", ", Of(a[^1]).Select((n, i) =>
                $$"""{"vm-clock-nsec": 0, "name": "{{n}}", "date-sec": {{1796449196 + i}}, "date-nsec": 0, "vm-clock-sec": 0, "id": "{{i + 1}}", "vm-state-size": 0, "icount": 0}"""));
            return new(0, $$"""{"snapshots": [{{snapshots}}], "virtual-size": 2147483648, "filename": "{{a[^1]}}", "format": "qcow2", "dirty-flag": false}""", "");
        }
        if (a[0] != "snapshot") return null;
        var (action, name, image) = (a[2], a[3], a[4]["driver=qcow2,file.driver=file,file.filename=".Length..]);
        var list = Of(image);
        switch (action)
        {
            case "-c":
                list.Add(name);
                return new(0, "", "");
            case "-a" when !list.Contains(name):
                return new(1, "", $"qemu-img: Could not apply snapshot '{name}': Failed to load snapshot: No such file or directory\n");
            case "-d" when !list.Contains(name):
                return new(1, "", $"qemu-img: Could not delete snapshot '{name}': snapshot not found\n");
            case "-d":
                list.Remove(name);
                return new(0, "", "");
            default:
                return new(0, "", "");
        }
    }
}
