package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"strings"
)

// stackColors are the bar colours, in the order of results.Stacks.
var stackColors = []color.RGBA{
	{0x2b, 0x6c, 0xb0, 0xff}, // blue
	{0xe0, 0x7b, 0x24, 0xff}, // orange
	{0x4c, 0xa0, 0x4c, 0xff},
}

// writeChart draws one group of horizontal bars per figure, each scaled to
// the larger of the stacks' medians, with the value at the bar's end.
func writeChart(path string, r *results) error {
	const (
		margin   = 16
		labelW   = 400
		barMaxW  = 360
		barH     = 14
		barGap   = 4
		groupGap = 14
	)
	nStacks := len(r.Stacks)
	groupH := nStacks*(barH+barGap) + groupGap
	legendH := 2*textHeight + 16
	w := margin*2 + labelW + barMaxW + 120
	figs := append(append([]*figure{}, r.Figures...), r.H3...)
	h := margin*2 + legendH + len(figs)*groupH
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	ink := color.RGBA{0x20, 0x20, 0x20, 0xff}
	grey := color.RGBA{0x90, 0x90, 0x90, 0xff}

	drawText(img, margin, margin, "quince vs quic-go, loopback, median of "+fmt.Sprint(r.Options.runs)+" run(s) - bars scaled per figure", ink)
	x := margin
	for i, s := range r.Stacks {
		c := stackColors[i%len(stackColors)]
		fill(img, x, margin+textHeight+8, 12, textHeight, c)
		drawText(img, x+16, margin+textHeight+8, s, ink)
		x += 16 + textWidth(s) + 24
	}

	y := margin + legendH
	for _, f := range figs {
		var maxV float64
		for _, s := range r.Stacks {
			if m, ok := f.median(s); ok && m > maxV {
				maxV = m
			}
		}
		label := strings.TrimSpace(f.Name)
		better := "higher better"
		if f.LowerBetter {
			better = "lower better"
		}
		drawText(img, margin, y, label, ink)
		drawText(img, margin, y+textHeight+4, f.Unit+", "+better, grey)
		for i, s := range r.Stacks {
			by := y + i*(barH+barGap)
			bx := margin + labelW
			m, ok := f.median(s)
			if !ok {
				drawText(img, bx, by+2, "failed", grey)
				continue
			}
			bw := 1
			if maxV > 0 {
				bw = max(1, int(float64(barMaxW)*m/maxV))
			}
			fill(img, bx, by, bw, barH, stackColors[i%len(stackColors)])
			drawText(img, bx+bw+6, by+2, fmtNum(m), ink)
		}
		y += groupH
	}

	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(out, img); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func fill(img *image.RGBA, x, y, w, h int, c color.Color) {
	draw.Draw(img, image.Rect(x, y, x+w, y+h), image.NewUniform(c), image.Point{}, draw.Src)
}
