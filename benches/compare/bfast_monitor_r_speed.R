# Per-pixel BFAST Monitor in R, timed: bfastmonitor's own steps on strucchange (the package
# bfast calls them: efp(type = "Rec-CUSUM") on the reversed history with sctest() and
# boundary() for the ROC stable history, lm() of response ~ trend + harmon, then
# mefp(type = "OLS-MOSUM", h = 0.25, period = 10) and monitor()), on N synthetic series of
# the same shape as terrawatt's benchmark stack (5 years of 23 dates, monitoring the last
# two, a third of the dates missing), one pixel after another as bfastmonitor runs on a
# raster. Prints the seconds per pixel. The R package bfast itself is not on Debian; this is
# the work bfastmonitor does per pixel, without its input checks (so R's figure errs fast).
#
#   Rscript benches/compare/bfast_monitor_r_speed.R [N]
suppressPackageStartupMessages(library(strucchange))
args <- commandArgs(trailingOnly = TRUE)
N <- if (length(args) > 0) as.integer(args[1]) else 200L
set.seed(1)
freq <- 23; years <- 5; n <- freq * years
tt <- 2019 + (0:(n - 1)) / freq
start <- 2022
one <- function(y) {
  hm <- outer(2 * pi * tt, 1:3)
  d <- data.frame(time = tt, response = y, trend = seq_len(n))
  d$harmon <- cbind(cos(hm), sin(hm))
  d <- d[!is.na(d$response), ]
  f <- response ~ trend + harmon
  hist <- d[d$time < start, ]
  rev <- hist[nrow(hist):1, ]
  rc <- efp(f, data = rev, type = "Rec-CUSUM")
  bd <- boundary(rc)
  idx <- 1
  if (sctest(rc)$p.value < 0.05) {
    idx <- length(rc$process) - min(which(abs(rc$process)[-1] > bd[-1])) + 1
  }
  hist <- hist[hist$time >= hist$time[idx], ]
  fit <- lm(f, data = hist)
  mf <- mefp(f, data = hist, type = "OLS-MOSUM", h = 0.25, alpha = 0.05, period = 10)
  mon <- monitor(mf, data = d[d$time >= hist$time[1], ], verbose = FALSE)
  list(brk = mon$breakpoint, mag = median(d$response[d$time >= start] -
    predict(fit, newdata = d[d$time >= start, ])))
}
ys <- lapply(seq_len(N), function(i) {
  y <- 0.6 + 0.15 * sin(2 * pi * tt + runif(1, 0, 2 * pi)) + rnorm(n, 0, 0.03)
  y[runif(n) < 1 / 3] <- NA
  y
})
el <- system.time(for (y in ys) one(y))[["elapsed"]]
cat(sprintf("R strucchange bfastmonitor steps: %d pixels in %.2f s: %.4f s per pixel (%d dates)\n",
            N, el, el / N, n))
