// Reads what the packaging smoke test (nuget/smoke.sh) checks inside packed assemblies and symbol files, with
// System.Reflection.Metadata only. Run as a file-based app: dotnet run inspect.cs -- <command> <file>
//   assembly <dll>: its debug directory (reproducible = built deterministically, the CodeView PDB id, an embedded PDB),
//                   its informational version and every [AssemblyMetadata], one "key: value" line each;
//   pdb <pdb>:      the PDB id, the path of its first source document and its SourceLink JSON ("sourcelink: none"
//                   when there is none).
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Text;

if (args.Length != 2) { Console.Error.WriteLine("usage: inspect.cs assembly <dll> | pdb <pdb>"); return 2; }
var (command, path) = (args[0], args[1]);
using var stream = File.OpenRead(path);

if (command == "assembly")
{
    using var pe = new PEReader(stream);
    var entries = pe.ReadDebugDirectory();
    Console.WriteLine($"reproducible: {(entries.Any(e => e.Type == DebugDirectoryEntryType.Reproducible) ? "yes" : "no")}");
    Console.WriteLine($"embedded-pdb: {(entries.Any(e => e.Type == DebugDirectoryEntryType.EmbeddedPortablePdb) ? "yes" : "no")}");
    foreach (var entry in entries.Where(e => e.Type == DebugDirectoryEntryType.CodeView))
    {
        var codeView = pe.ReadCodeViewDebugDirectoryData(entry);
        Console.WriteLine($"pdb-id: {codeView.Guid:N}");
        Console.WriteLine($"pdb-path: {codeView.Path}");
    }

    var metadata = pe.GetMetadataReader();
    foreach (var handle in metadata.GetAssemblyDefinition().GetCustomAttributes())
    {
        var attribute = metadata.GetCustomAttribute(handle);
        if (attribute.Constructor.Kind != HandleKind.MemberReference) continue;
        var type = metadata.GetTypeReference((TypeReferenceHandle)metadata.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent);
        var name = metadata.GetString(type.Name);
        var blob = metadata.GetBlobReader(attribute.Value);
        blob.ReadUInt16(); // prolog
        if (name == "AssemblyInformationalVersionAttribute") Console.WriteLine($"informational-version: {blob.ReadSerializedString()}");
        if (name == "AssemblyMetadataAttribute") Console.WriteLine($"metadata {blob.ReadSerializedString()}: {blob.ReadSerializedString()}");
    }
    return 0;
}

if (command == "pdb")
{
    using var provider = MetadataReaderProvider.FromPortablePdbStream(stream);
    var pdb = provider.GetMetadataReader();
    Console.WriteLine($"pdb-id: {new Guid(pdb.DebugMetadataHeader!.Id.AsSpan(0, 16)):N}");
    foreach (var document in pdb.Documents.Take(1))
    {
        Console.WriteLine($"document: {pdb.GetString(pdb.GetDocument(document).Name)}");
    }

    var sourceLink = new Guid("CC110556-A091-4D38-9FEC-25AB9A351A6A");
    foreach (var handle in pdb.GetCustomDebugInformation(EntityHandle.ModuleDefinition))
    {
        var information = pdb.GetCustomDebugInformation(handle);
        if (pdb.GetGuid(information.Kind) == sourceLink)
        {
            Console.WriteLine($"sourcelink: {Encoding.UTF8.GetString(pdb.GetBlobBytes(information.Value))}");
            return 0;
        }
    }
    Console.WriteLine("sourcelink: none");
    return 0;
}

Console.Error.WriteLine($"unknown command '{command}'");
return 2;
