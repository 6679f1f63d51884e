package twin

import (
	"math"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// spread draws durations around the model's: log-normal, with the model's
// duration as the mean and a coefficient of variation, so that work never
// takes negative time and a few calls take much longer than most.
type spread struct {
	sigma float64
	src   rand.Source
}

// Vary makes every duration of the twin a random draw from src with
// coefficient of variation cv (0.25: the standard deviation is a quarter of
// the mean). cv 0 keeps the model's durations exact.
func (t *Twin) Vary(cv float64, src rand.Source) {
	if cv <= 0 {
		t.spread = nil
		return
	}
	t.spread = &spread{sigma: math.Sqrt(math.Log1p(cv * cv)), src: src}
}

func (s *spread) draw(mean time.Duration) time.Duration {
	mu := math.Log(float64(mean)) - s.sigma*s.sigma/2
	d := distuv.LogNormal{Mu: mu, Sigma: s.sigma, Src: s.src}.Rand()
	return time.Duration(d).Round(time.Second)
}
