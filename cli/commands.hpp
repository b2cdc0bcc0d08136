#pragma once
// Each subcommand is `int run_X(int argc, char** argv)`: it parses argv[2..] with cli::Args,
// builds core objects, prints, and returns the exit status. Errors are thrown as chunkbench::Error
// and turned into a message and exit status by main.
namespace chunkbench::cli {

int run_make(int argc, char** argv);
int run_extract(int argc, char** argv);
int run_info(int argc, char** argv);
int run_verify(int argc, char** argv);
int run_testimage(int argc, char** argv);
int run_serve(int argc, char** argv);
int run_netem(int argc, char** argv);
int run_bench(int argc, char** argv);
int run_report(int argc, char** argv);
int run_upload_tree(int argc, char** argv);
int run_chop(int argc, char** argv);
int run_upload(int argc, char** argv);
int run_vacuum(int argc, char** argv);
int run_prune(int argc, char** argv);
int run_update(int argc, char** argv);

}  // namespace chunkbench::cli
