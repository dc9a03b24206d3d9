/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/*
 * classify.c - classify the Fashion-MNIST test set with a model library
 * compiled by kiln-compile, through the Kiln C runtime API only.
 *
 *   fashion_mnist_classify LIB.so [--data DIR] [--batch B] [--reference FILE]
 *                          [--limit N] [--warmup N]
 *
 * Reads DIR/t10k-images-idx3-ubyte.gz and DIR/t10k-labels-idx1-ubyte.gz
 * (default DIR: /usr/share/datasets/fashion-mnist, Debian package
 * dataset-fashion-mnist), runs every image through the model in batches of B
 * (default 1, so the latency is per image) and prints the accuracy, the
 * latency per batch (median and mean) and the throughput.
 *
 * Preprocessing is exactly the training script's
 * (scripts/train_fashion_mnist.py): x = (float)pixel / 255.0f, computed in
 * float32, NCHW [B,1,28,28], no mean/std normalization.
 *
 * --reference FILE: 10,000 bytes of torch's argmax predictions
 * (models/fashion_mnist_cnn.torch_predictions.bin); prints how many of Kiln's
 * predictions are identical and exits with status 1 if fewer than 99.9 %.
 *
 * Exit status: 0 on success, 1 on an agreement below 99.9 %, 2 on any error.
 */
#define _POSIX_C_SOURCE 199309L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "kiln/runtime.h"

#define IMG_H 28
#define IMG_W 28
#define IMG_PIXELS (IMG_H * IMG_W)
#define NUM_CLASSES 10
#define MIN_AGREEMENT 0.999

static const char *const kClassNames[NUM_CLASSES] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

static void usage(FILE *f) {
  fprintf(f,
          "usage: fashion_mnist_classify LIB.so [options]\n"
          "  LIB.so            model library from kiln-compile (input [batch,1,28,28]\n"
          "                    float32, output [batch,10] logits)\n"
          "  --data DIR        Fashion-MNIST directory with t10k-*-ubyte.gz\n"
          "                    (default /usr/share/datasets/fashion-mnist)\n"
          "  --batch B         images per kiln_model_run call (default 1)\n"
          "  --reference FILE  torch predictions (10,000 uint8); exit 1 if fewer\n"
          "                    than 99.9%% of the predictions are identical\n"
          "  --limit N         classify only the first N test images\n"
          "  --warmup N        untimed runs of the first batch before timing\n"
          "                    (default 10)\n");
}

/* Reads a whole gzip file into memory.  Returns NULL (message printed) on
 * error. */
static unsigned char *read_gz(const char *path, size_t *out_size) {
  gzFile f = gzopen(path, "rb");
  if (!f) {
    fprintf(stderr, "error: cannot open %s: %s\n", path,
            errno ? strerror(errno) : "gzopen failed");
    return NULL;
  }
  size_t cap = 1 << 20, n = 0;
  unsigned char *buf = malloc(cap);
  for (;;) {
    if (!buf) {
      fprintf(stderr, "error: out of memory reading %s\n", path);
      gzclose(f);
      return NULL;
    }
    if (n == cap) {
      unsigned char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        continue;
      }
      buf = nb;
      cap *= 2;
    }
    int r = gzread(f, buf + n, (unsigned)(cap - n));
    if (r < 0) {
      int errnum;
      fprintf(stderr, "error: reading %s: %s\n", path, gzerror(f, &errnum));
      free(buf);
      gzclose(f);
      return NULL;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  gzclose(f);
  *out_size = n;
  return buf;
}

static uint32_t be32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
         (uint32_t)p[3];
}

/* Loads the IDX images and labels; returns the number of images or -1. */
static long load_test_set(const char *dir, unsigned char **images,
                          unsigned char **labels) {
  char path[4096];
  size_t isz = 0, lsz = 0;
  snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte.gz", dir);
  unsigned char *ibuf = read_gz(path, &isz);
  if (!ibuf)
    return -1;
  if (isz < 16 || be32(ibuf) != 0x803 || be32(ibuf + 8) != IMG_H ||
      be32(ibuf + 12) != IMG_W ||
      isz != 16 + (size_t)be32(ibuf + 4) * IMG_PIXELS) {
    fprintf(stderr, "error: %s is not a 28x28 IDX image file\n", path);
    free(ibuf);
    return -1;
  }
  long n = (long)be32(ibuf + 4);
  snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte.gz", dir);
  unsigned char *lbuf = read_gz(path, &lsz);
  if (!lbuf) {
    free(ibuf);
    return -1;
  }
  if (lsz < 8 || be32(lbuf) != 0x801 || be32(lbuf + 4) != (uint32_t)n ||
      lsz != 8 + (size_t)n) {
    fprintf(stderr, "error: %s is not an IDX label file for %ld images\n", path,
            n);
    free(ibuf);
    free(lbuf);
    return -1;
  }
  *images = ibuf;  /* pixels start at offset 16 */
  *labels = lbuf;  /* labels start at offset 8 */
  return n;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int parse_long(const char *s, long min, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *s == '\0' || *end != '\0' || v < min)
    return -1;
  *out = v;
  return 0;
}

/* Checks that the model has one float32 input of shape [?|B,1,28,28] and one
 * float32 output of shape [?|B,10].  Returns the static batch size, 0 if the
 * batch is dynamic, or -1 on a mismatch. */
static long check_signature(const kiln_model *m) {
  kiln_tensor_info in, out;
  if (kiln_model_num_inputs(m) != 1 || kiln_model_num_outputs(m) != 1) {
    fprintf(stderr, "error: model has %d inputs and %d outputs, expected 1 and 1\n",
            (int)kiln_model_num_inputs(m), (int)kiln_model_num_outputs(m));
    return -1;
  }
  if (kiln_model_input_info(m, 0, &in) != KILN_OK ||
      kiln_model_output_info(m, 0, &out) != KILN_OK) {
    fprintf(stderr, "error: %s\n", kiln_last_error());
    return -1;
  }
  if (in.dtype != KILN_DTYPE_FLOAT || in.rank != 4 || in.dims[1] != 1 ||
      in.dims[2] != IMG_H || in.dims[3] != IMG_W) {
    fprintf(stderr, "error: input '%s' must be float [batch,1,28,28]\n", in.name);
    return -1;
  }
  if (out.dtype != KILN_DTYPE_FLOAT || out.rank != 2 ||
      (out.dims[1] != NUM_CLASSES && out.dims[1] != -1)) {
    fprintf(stderr, "error: output '%s' must be float [batch,10]\n", out.name);
    return -1;
  }
  printf("model '%s': input '%s' [%s,1,28,28], output '%s' [batch,10]\n",
         kiln_model_name(m), in.name, in.dims[0] < 0 ? "batch" : "static",
         out.name);
  return in.dims[0] < 0 ? 0 : (long)in.dims[0];
}

/* Runs one batch of `nb` preprocessed images; writes nb*10 logits. */
static int run_batch(kiln_model *m, float *x, long nb, float *logits,
                     size_t logits_cap) {
  kiln_tensor in, out;
  memset(&in, 0, sizeof in);
  memset(&out, 0, sizeof out);
  in.data = x;
  in.size_bytes = (size_t)nb * IMG_PIXELS * sizeof(float);
  in.dtype = KILN_DTYPE_FLOAT;
  in.rank = 4;
  in.dims[0] = nb;
  in.dims[1] = 1;
  in.dims[2] = IMG_H;
  in.dims[3] = IMG_W;
  out.data = logits;
  out.size_bytes = logits_cap;
  kiln_status st = kiln_model_run(m, &in, 1, &out, 1);
  if (st != KILN_OK) {
    fprintf(stderr, "error: kiln_model_run: %s: %s\n", kiln_status_string(st),
            kiln_last_error());
    return -1;
  }
  if (out.dtype != KILN_DTYPE_FLOAT || out.rank != 2 || out.dims[0] != nb ||
      out.dims[1] != NUM_CLASSES) {
    fprintf(stderr, "error: unexpected output shape (rank %d, [%lld,%lld])\n",
            (int)out.rank, (long long)out.dims[0], (long long)out.dims[1]);
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *lib = NULL, *data_dir = "/usr/share/datasets/fashion-mnist";
  const char *ref_path = NULL;
  long batch = 1, limit = -1, warmup = 10;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    }
    int has_val = i + 1 < argc;
    if (!strcmp(a, "--data") && has_val) {
      data_dir = argv[++i];
    } else if (!strcmp(a, "--reference") && has_val) {
      ref_path = argv[++i];
    } else if (!strcmp(a, "--batch") && has_val) {
      if (parse_long(argv[++i], 1, &batch)) {
        fprintf(stderr, "error: --batch needs a positive integer\n");
        return 2;
      }
    } else if (!strcmp(a, "--limit") && has_val) {
      if (parse_long(argv[++i], 1, &limit)) {
        fprintf(stderr, "error: --limit needs a positive integer\n");
        return 2;
      }
    } else if (!strcmp(a, "--warmup") && has_val) {
      if (parse_long(argv[++i], 0, &warmup)) {
        fprintf(stderr, "error: --warmup needs a non-negative integer\n");
        return 2;
      }
    } else if (a[0] != '-' && !lib) {
      lib = a;
    } else {
      fprintf(stderr, "error: unexpected argument '%s'\n", a);
      usage(stderr);
      return 2;
    }
  }
  if (!lib) {
    usage(stderr);
    return 2;
  }

  unsigned char *images = NULL, *labels = NULL, *ref = NULL;
  float *x = NULL, *logits = NULL;
  double *lat = NULL;
  kiln_model *model = NULL;
  int rc = 2;

  long n = load_test_set(data_dir, &images, &labels);
  if (n < 0)
    goto done;
  if (limit > 0 && limit < n)
    n = limit;

  if (ref_path) {
    FILE *f = fopen(ref_path, "rb");
    if (!f) {
      fprintf(stderr, "error: cannot open %s: %s\n", ref_path, strerror(errno));
      goto done;
    }
    ref = malloc((size_t)n);
    size_t got = ref ? fread(ref, 1, (size_t)n, f) : 0;
    fclose(f);
    if (got != (size_t)n) {
      fprintf(stderr, "error: %s holds fewer than %ld predictions\n", ref_path, n);
      goto done;
    }
  }

  kiln_status st = kiln_model_load(lib, &model);
  if (st != KILN_OK) {
    fprintf(stderr, "error: kiln_model_load(%s): %s: %s\n", lib,
            kiln_status_string(st), kiln_last_error());
    goto done;
  }
  long static_batch = check_signature(model);
  if (static_batch < 0)
    goto done;
  if (static_batch > 0 && static_batch != batch) {
    printf("note: the model has a static batch of %ld; using --batch %ld\n",
           static_batch, static_batch);
    batch = static_batch;
  }
  if (batch > n)
    batch = static_batch > 0 ? static_batch : n;

  size_t logits_cap = (size_t)batch * NUM_CLASSES * sizeof(float);
  x = malloc((size_t)batch * IMG_PIXELS * sizeof(float));
  logits = malloc(logits_cap);
  long num_batches = (n + batch - 1) / batch;
  lat = malloc((size_t)num_batches * sizeof(double));
  if (!x || !logits || !lat) {
    fprintf(stderr, "error: out of memory\n");
    goto done;
  }

  /* Warm-up on the first batch (untimed). */
  for (long i = 0; i < batch; ++i)
    for (int p = 0; p < IMG_PIXELS; ++p)
      x[i * IMG_PIXELS + p] =
          i < n ? (float)images[16 + (size_t)i * IMG_PIXELS + p] / 255.0f : 0.0f;
  for (long w = 0; w < warmup; ++w)
    if (run_batch(model, x, batch, logits, logits_cap))
      goto done;

  long correct = 0, agree = 0;
  long class_total[NUM_CLASSES] = {0}, class_correct[NUM_CLASSES] = {0};
  double total_ms = 0;
  for (long b = 0; b < num_batches; ++b) {
    long first = b * batch;
    long valid = n - first < batch ? n - first : batch;
    /* A static-batch model gets a zero-padded last batch; a dynamic one a
     * smaller batch. */
    long nb = static_batch > 0 ? batch : valid;
    for (long i = 0; i < nb; ++i) {
      float *dst = x + i * IMG_PIXELS;
      if (i < valid) {
        const unsigned char *src = images + 16 + (size_t)(first + i) * IMG_PIXELS;
        for (int p = 0; p < IMG_PIXELS; ++p)
          dst[p] = (float)src[p] / 255.0f; /* == training preprocessing */
      } else {
        memset(dst, 0, IMG_PIXELS * sizeof(float));
      }
    }
    double t0 = now_ms();
    if (run_batch(model, x, nb, logits, logits_cap))
      goto done;
    lat[b] = now_ms() - t0;
    total_ms += lat[b];
    for (long i = 0; i < valid; ++i) {
      const float *l = logits + i * NUM_CLASSES;
      int best = 0; /* first maximum, like torch.argmax */
      for (int c = 1; c < NUM_CLASSES; ++c)
        if (l[c] > l[best])
          best = c;
      int label = labels[8 + first + i];
      class_total[label]++;
      if (best == label) {
        correct++;
        class_correct[label]++;
      }
      if (ref && best == ref[first + i])
        agree++;
    }
  }

  qsort(lat, (size_t)num_batches, sizeof(double), cmp_double);
  double median = num_batches % 2
                      ? lat[num_batches / 2]
                      : 0.5 * (lat[num_batches / 2 - 1] + lat[num_batches / 2]);
  printf("images: %ld, batch size: %ld, batches: %ld\n", n, batch, num_batches);
  printf("accuracy: %.2f%% (%ld/%ld)\n", 100.0 * (double)correct / (double)n,
         correct, n);
  for (int c = 0; c < NUM_CLASSES; ++c)
    if (class_total[c])
      printf("  %-12s %6.2f%% (%ld/%ld)\n", kClassNames[c],
             100.0 * (double)class_correct[c] / (double)class_total[c],
             class_correct[c], class_total[c]);
  printf("latency per batch of %ld: median %.4f ms, mean %.4f ms, min %.4f ms, "
         "max %.4f ms\n",
         batch, median, total_ms / (double)num_batches, lat[0],
         lat[num_batches - 1]);
  printf("throughput: %.1f images/s (%.1f ms in kiln_model_run for %ld images)\n",
         total_ms > 0 ? 1e3 * (double)n / total_ms : 0.0, total_ms, n);
  rc = 0;
  if (ref) {
    double frac = (double)agree / (double)n;
    printf("agreement with torch (%s): %.2f%% (%ld/%ld identical predictions)\n",
           ref_path, 100.0 * frac, agree, n);
    if (frac < MIN_AGREEMENT) {
      printf("FAIL: agreement below %.1f%%\n", 100.0 * MIN_AGREEMENT);
      rc = 1;
    } else {
      printf("PASS: agreement >= %.1f%%\n", 100.0 * MIN_AGREEMENT);
    }
  }

done:
  kiln_model_free(model);
  free(images);
  free(labels);
  free(ref);
  free(x);
  free(logits);
  free(lat);
  return rc;
}
