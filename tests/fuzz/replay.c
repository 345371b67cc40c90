/*
** Runs a libFuzzer target over files without libFuzzer (or clang): each
** argument is a file or a directory of files, each file one input. It
** replays the committed seed corpus under gcc's sanitizers in
** `make test-faults`, so that an input that once broke a target (add it to
** tests/fuzz/corpus/) keeps being tried.
*/
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

static int replay_file(const char *zPath) {
  FILE *in = fopen(zPath, "rb");
  if (!in) {
    fprintf(stderr, "replay: cannot open %s\n", zPath);
    return 1;
  }
  size_t nAlloc = 4096, n = 0, got;
  uint8_t *a = malloc(nAlloc);
  while (a && (got = fread(a + n, 1, nAlloc - n, in)) > 0) {
    n += got;
    if (n == nAlloc) a = realloc(a, nAlloc *= 2);
  }
  fclose(in);
  if (!a) return 1;
  LLVMFuzzerTestOneInput(a, n);
  free(a);
  return 0;
}

int main(int argc, char **argv) {
  int nFile = 0, nErr = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "replay: no such file: %s\n", argv[i]);
      return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
      nErr += replay_file(argv[i]);
      nFile++;
      continue;
    }
    DIR *pDir = opendir(argv[i]);
    struct dirent *pEnt;
    while (pDir && (pEnt = readdir(pDir)) != 0) {
      if (pEnt->d_name[0] == '.') continue;
      size_t nPath = strlen(argv[i]) + strlen(pEnt->d_name) + 2;
      char *zPath = malloc(nPath);
      snprintf(zPath, nPath, "%s/%s", argv[i], pEnt->d_name);
      nErr += replay_file(zPath);
      nFile++;
      free(zPath);
    }
    if (pDir) closedir(pDir);
  }
  printf("replay: %d inputs, no crash\n", nFile);
  return nErr != 0;
}
